import html
import re
import secrets
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from . import checks, links, rendering
from .images.references import storage_name, storage_names
from .rendering.pictures import Picture

FIRST_IMAGE_RE = re.compile(r'<img [^>]*?src="([^"]+)"')


def new_epoch():
    return secrets.token_hex(8)


# Tags a post may carry: far more than any article needs, and each new one costs a row; a
# form of 3,000 names took 7.5 s to save, and a request may carry a hundred times that.
MAX_TAGS = 50
# Files under the media address without an Image row are looked up in the storage (an S3
# bucket answers each in tens of milliseconds) this many times a render, so a preview of a
# body naming hundreds of them stays quick; the rest go unchecked.
MAX_STORAGE_LOOKUPS = 10


def validate_tags(names):
    """The one rule for a post's tags, asked by the editor's form and the write path."""
    if len(names) > MAX_TAGS:
        raise ValidationError(
            _("A post carries at most %(limit)d tags; this one has %(count)d."),
            code="too_many_tags",
            params={"limit": MAX_TAGS, "count": len(names)},
        )


def unique_slug(model, text, *, exclude_pk=None, max_length=200, fallback="post"):
    """A unicode slug for `text` that no other row of `model` has yet, made of `fallback`
    when `text` has no letter or digit; "" when that is empty too (see fallback_slug)."""
    base = slugify(text, allow_unicode=True)[:max_length].strip("-") or fallback
    if not base:
        return ""
    slug, n = base, 2
    others = model._default_manager.all()
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    while others.filter(slug=slug).exists():
        suffix = f"-{n}"
        slug = base[: max_length - len(suffix)] + suffix
        n += 1
    return slug


def fallback_slug(row, prefix):
    """The address of a saved category or tag whose name has no letter or digit (🔥, !!!):
    <prefix>-<id>, unique. An empty slug made every page that links to it fail (issue 10)."""
    model = type(row)
    max_length = model._meta.get_field("slug").max_length
    return unique_slug(model, f"{prefix}-{row.pk}", exclude_pk=row.pk, max_length=max_length)


class Category(models.Model):
    name = models.CharField(
        _("name"), max_length=100, unique=True, help_text=_("Shown on every post of it.")
    )
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        allow_unicode=True,
        help_text=_("The address: /category/<slug>/. Chinese characters are kept."),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("One or two sentences for its page.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(
                Category, self.name, exclude_pk=self.pk, max_length=100, fallback=""
            )
        super().save(*args, **kwargs)
        if not self.slug:  # a name without a letter or digit: the address comes from the id
            self.slug = fallback_slug(self, "category")
            super().save(update_fields=["slug"])

    def get_absolute_url(self):
        return links.slug_url("blog:category", self.slug)


class PostQuerySet(models.QuerySet):
    def published(self, now=None):
        """The one rule for what readers may see: published, and its time has come."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=now or timezone.now())


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(
        _("title"), max_length=200, help_text=_("The headline, as readers see it.")
    )
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        allow_unicode=True,
        help_text=_(
            "The address: /posts/<slug>/. Filled from the title; Chinese is kept. "
            "Changing it breaks links already shared."
        ),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
        verbose_name=_("author"),
        help_text=_("Who wrote it; shown in feeds."),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="posts",
        verbose_name=_("category"),
        help_text=_("Every post belongs to exactly one category."),
    )
    tags = TaggableManager(
        verbose_name=_("tags"),
        blank=True,
        help_text=_("Comma-separated. Chinese names work; case does not make a new tag."),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "Markdown: headings, tables, fenced code with a language, "
            "$inline$ and $$display$$ formulas."
        ),
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_("Optional. Replaces the automatic excerpt on lists and in feeds."),
    )
    body_html = models.TextField(editable=False, default="")
    excerpt = models.TextField(editable=False, default="")
    # The same excerpt as HTML for lists: short inline formulas as MathML.
    excerpt_html = models.TextField(editable=False, default="")
    reading_minutes = models.PositiveIntegerField(_("reading minutes"), editable=False, default=1)
    toc_html = models.TextField(editable=False, default="")
    render_warnings = models.JSONField(
        editable=False,
        default=list,
        help_text="Formulas that could not be converted when the post was last saved.",
    )
    # The pre-publish checks (blog.checks) as of the last save: [[code, line, detail, extra]].
    problems = models.JSONField(editable=False, default=list)
    problem_count = models.PositiveSmallIntegerField(_("problems"), editable=False, default=0)
    front_matter = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="Front-matter keys of an imported file that the blog has no field for; "
        "kept so that an export gives them back.",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_(
            "Drafts are seen only by staff. A published post with a future time "
            "is scheduled: it appears by itself when the time comes."
        ),
    )
    published_at = models.DateTimeField(
        _("publication time"),
        default=timezone.now,
        help_text=_("When readers first see it. Set a future time to schedule it."),
    )
    first_published_at = models.DateTimeField(
        null=True,
        editable=False,
        help_text="When the post was first published; part of its permanent feed id.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Not auto_now: saving is not editing. Publishing, re-rendering or renaming the category
    # leave it alone; blog.publishing moves it when the author changes the post (and an
    # import never moves it backwards). Caches key on blog.freshness, not on this.
    updated_at = models.DateTimeField(
        _("updated"),
        default=timezone.now,
        help_text=_("When the author last changed the post; shown to readers and in feeds."),
    )
    source_key = models.CharField(
        max_length=600,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Where an imported post comes from (its front matter id, or its path "
        "relative to the import root): a second import updates this post, whatever its slug.",
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        # Changing a post is editing it; making it public (or taking it down, or moving its
        # time) is a decision of its own, given to editors (blog.permissions).
        permissions = [("publish_post", _("Can publish, unpublish and schedule posts"))]
        indexes = [
            # Lists in their order (publication time, then id) read from the index alone,
            # so a deep page skips index entries, not rows (blog.lists).
            models.Index(fields=["status", "-published_at", "-id"], name="post_status_published"),
            models.Index(
                fields=["category", "status", "-published_at", "-id"], name="post_category_list"
            ),
            models.Index(fields=["updated_at"], name="post_updated"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Stores the post with its rendered HTML. Callers go through blog.publishing, which
        decides publication times and edit times and tells caches and the search index."""
        if not self.slug:
            self.slug = unique_slug(Post, self.title, exclude_pk=self.pk)
        # Trailing blank lines mean nothing in Markdown; without them an export and an
        # import give back exactly the same body.
        self.body = self.body.rstrip()
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"body", "summary"} & set(update_fields):
            self.render()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *self.RENDERED_FIELDS}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return links.slug_url("blog:post", self.slug)

    def clean(self):
        super().clean()
        # Before anything renders it: the admin form shows this on the body field.
        try:
            rendering.validate_article_size(self.body or "")
        except ValidationError as exc:
            raise ValidationError({"body": exc}) from None

    RENDERED_FIELDS = (
        "body_html", "toc_html", "render_warnings", "reading_minutes", "excerpt", "excerpt_html",
        "problems", "problem_count",
    )  # fmt: skip

    def render(self):
        """Markdown to stored, sanitized HTML, excerpt, reading time and the pre-publish
        checks (render on write). Once per text: the post form renders to decide whether to
        ask before publishing, and the save that follows keeps that rendering."""
        source = (self.body, self.summary, self.category_id)
        if getattr(self, "_rendered_from", None) == source:
            return
        # The images the body names that the blog keeps: their sizes and renditions go into
        # the page; the write path records them as used by this post.
        self.used_images = Image.objects.named_in(self.body)
        pictures = {image.address: image.picture() for image in self.used_images}
        result = rendering.render_markdown(self.body, pictures=pictures)
        self.body_html = result.html
        self.toc_html = result.toc_html
        self.render_warnings = result.warnings
        self.reading_minutes = result.reading_minutes
        if self.summary.strip():
            self.excerpt = rendering.plain_summary(self.summary)
            self.excerpt_html = html.escape(self.excerpt, quote=False)
        else:
            self.excerpt, self.excerpt_html = result.excerpt, result.excerpt_html
        found, count = checks.find(
            self.body,
            result,
            summary=self.summary,
            category_chosen=self.category_id is not None,
            posts_named=self._posts_named,
            images_named=self._images_named,
        )
        self.problems = [problem.stored() for problem in found]
        self.problem_count = min(count, 32767)
        self._rendered_from = source

    def _posts_named(self, slugs):
        """{slug: whether readers can see it} of the posts among `slugs`."""
        now = timezone.now()
        found = Post.objects.filter(slug__in=slugs).values_list("slug", "status", "published_at")
        return {
            slug: status == Post.Status.PUBLISHED and published_at <= now
            for slug, status, published_at in found
        }

    def _images_named(self, srcs):
        """{src: alt text, or None when it does not exist} of the addresses among `srcs` this
        site would serve: kept images, other files of the media storage, the site's static
        files (the demo's diagrams), and paths of its own that lead nowhere. Addresses of
        other sites are left out: nothing is fetched to check them, and a storage asked
        about files without rows (a request each to a bucket) is asked about a few only."""
        known = {image.address: image.alt for image in self.used_images}
        storage = _media_storage()
        base = _media_base_url(storage)
        static = "/" + settings.STATIC_URL.lstrip("/")
        lookups = MAX_STORAGE_LOOKUPS
        for src in srcs:
            if src in known:
                continue
            if name := storage_name(src, base):
                if lookups:  # stored before rows, or not at all
                    lookups -= 1
                    known[src] = "" if _stored(storage, name) else None
            elif src.startswith(static):
                known[src] = "" if _static_file_exists(src[len(static) :]) else None
            elif _of_this_site(src):
                known[src] = None
        return known

    @property
    def first_image_url(self):
        """The first image of the article, for link previews; None when it has none."""
        match = FIRST_IMAGE_RE.search(self.body_html)
        return html.unescape(match.group(1)) if match else None

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and self.published_at > timezone.now()


def _media_storage():
    from django.core.files.storage import default_storage

    return default_storage


def _stored(storage, name):
    try:
        return storage.exists(name)
    except (SuspiciousFileOperation, ValueError, OSError):  # ../ out of the folder, a NUL
        return False


def _of_this_site(src):
    try:
        parts = urlsplit(src)
    except ValueError:  # "http://[::1": an address of no site, this one's neither
        return False
    return not (parts.scheme or parts.netloc or src.startswith(("#", "data:")))


def _static_file_exists(name):
    from django.contrib.staticfiles import finders

    name = unquote(name.partition("?")[0].partition("#")[0])
    try:
        return bool(name) and finders.find(name) is not None
    except SuspiciousFileOperation:  # ../ out of the static folders: no file of ours
        return False


def media_base_url():
    """The media storage's base address, for callers outside this module."""
    return _media_base_url(_media_storage())


def _media_base_url(storage):
    """The address every stored name is appended to ("/media/", or the bucket's). Asked of
    a name, not of "": S3's storage refuses an empty key."""
    url = storage.url("_")
    return url[:-1] if url.endswith("_") else ""


class ImageQuerySet(models.QuerySet):
    def named_in(self, body):
        """The kept images `body` names (each with `address`, the URL as written), without a
        query when it names none under the media storage."""
        names = storage_names(body or "", _media_base_url(_media_storage()))
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
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="image_uses")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "post"], name="image_use_once"),
        ]
        verbose_name = _("use of an image")
        verbose_name_plural = _("uses of images")

    def __str__(self):
        return _("used by “%(title)s”") % {"title": self.post.title}


class ContentGeneration(models.Model):
    """One row: a number every committed change to what readers see moves on (see
    blog.freshness). It lives in the database so every process shares it and a cache flush
    does not reset it; `epoch` is drawn when the row is made, so a database made anew never
    repeats another's numbers. A database restored from a backup does repeat them: flush the
    cache after a restore (the README's deployment notes say so)."""

    value = models.PositiveBigIntegerField(default=0)
    epoch = models.CharField(max_length=32, default=new_epoch)

    def __str__(self):
        return f"generation {self.epoch}.{self.value}"


class SearchEntry(models.Model):
    """A post's search document: its title, tags (with the category) and body as token text
    (see blog.search), kept up to date on save. The database indexes it: an FTS5 table on
    SQLite, a generated tsvector column with a GIN index on PostgreSQL (migration 0002)."""

    post = models.OneToOneField(
        Post, primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    title = models.TextField()
    tags = models.TextField()
    body = models.TextField()
    text = models.TextField(help_text="The article as plain text, for result snippets.")

    class Meta:
        verbose_name_plural = "search entries"

    def __str__(self):
        return f"search entry of {self.post_id}"
