"""Images kept for posts (blog.images makes them) and which posts show them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..images.references import storage_names
from ..rendering.pictures import Picture
from . import media


class ImageQuerySet(models.QuerySet):
    def named_in(self, body):
        """The kept images `body` names (each with `address`, the URL as written), without a
        query when it names none under the media storage."""
        names = storage_names(body or "", media.base_url(media.storage()))
        if not names:
            return []
        images = list(self.filter(file__in=names))
        for image in images:
            image.address = names[image.file.name]
        return images


class Image(models.Model):
    """An image uploaded in the writing room or brought by an import (blog.images.storing):
    the file as kept (orientation applied, metadata such as GPS position taken out), its
    renditions (smaller widths, WebP and AVIF), and which posts use it."""

    # A post's slug (200) and a file's name (255) in an import's posts/<slug>/<name>.
    file = models.FileField(_("file"), max_length=500, unique=True)
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    kind = models.CharField(_("type"), max_length=8)  # png, jpg, webp, gif, svg
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    size = models.PositiveBigIntegerField(_("bytes"), default=0)
    digest = models.CharField(max_length=64, editable=False)  # of the file as kept
    # Of the bytes as they came: the same file uploaded or imported again is this image.
    source_digest = models.CharField(max_length=64, db_index=True, editable=False)
    alt = models.CharField(
        _("alt text"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the image shows, for readers who cannot see it; used where a post gives none."
        ),
    )
    # [{"name": storage name, "width": px, "type": "image/webp"}, …], smallest first.
    renditions = models.JSONField(default=list, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    posts = models.ManyToManyField(
        "Post", through="ImageUse", related_name="images", verbose_name=_("used by")
    )

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self):
        return self.original_name or self.file.name

    @property
    def url(self):
        return self.file.url

    def stored_names(self):
        return [self.file.name, *(r["name"] for r in self.renditions)]

    def picture(self):
        """What the renderer needs to give this image its sizes and renditions."""
        storage = self.file.storage
        by_type = {}
        for rendition in self.renditions:
            by_type.setdefault(rendition["type"], []).append(
                (storage.url(rendition["name"]), rendition["width"])
            )
        fallback = by_type.pop(f"image/{'jpeg' if self.kind == 'jpg' else self.kind}", [])
        if fallback or by_type:
            fallback.append((self.url, self.width))
        return Picture(
            width=self.width,
            height=self.height,
            alt=self.alt,
            srcset=tuple(fallback),
            sources=tuple((kind, tuple(srcset)) for kind, srcset in sorted(by_type.items())),
        )


class ImageUse(models.Model):
    """A post naming an image. PROTECT: an image a post still shows cannot be deleted."""

    image = models.ForeignKey(Image, on_delete=models.PROTECT, related_name="uses")
    post = models.ForeignKey("Post", on_delete=models.CASCADE, related_name="image_uses")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "post"], name="image_use_once"),
        ]
        verbose_name = _("use of an image")
        verbose_name_plural = _("uses of images")

    def __str__(self):
        return _("used by “%(title)s”") % {"title": self.post.title}
