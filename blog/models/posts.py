"""Posts: what an author writes, stored with what readers are shown (rendered on write)."""

import html
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from .. import checks, links, rendering
from ..images.references import storage_name
from . import media
from .images import Image
from .labels import Category, Series, unique_slug

FIRST_IMAGE_RE = re.compile(r'<img [^>]*?src="([^"]+)"')
# Files under the media address without an Image row are looked up in the storage (an S3
# bucket answers each in tens of milliseconds) this many times a render, so a preview of a
# body naming hundreds of them stays quick; the rest go unchecked.
MAX_STORAGE_LOOKUPS = 10


class PostQuerySet(models.QuerySet):
    def published(self, now=None):
        """The one rule for what readers may see: published, and its time has come."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=now or timezone.now())


class PostManager(models.Manager.from_queryset(PostQuerySet)):
    """The posts not in the trash: what every page, feed, list, search and the admin's post
    list read. `Post.all_objects` has the trash too (blog.publishing, the trash's own list)."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        # An author's draft handed to the editors: still a draft to readers and to rules.
        REVIEW = "review", _("Submitted for review")
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
            "When it changes, the old address leads here."
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

    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="series_posts",
        verbose_name=_("series"), help_text=_("Optional: articles meant to be read in order."),
    )  # fmt: skip
    series_position = models.PositiveIntegerField(
        _("part"), null=True, blank=True,
        help_text=_("Its place in the series (1, 2, 3…); left empty, it follows by date."),
    )  # fmt: skip
    # Moved on by every save that changes the post (blog.publishing): a form opened at one
    # version and sent after another was saved is an edit conflict.
    version = models.PositiveIntegerField(default=0, editable=False)
    # Changes to a live post saved as a draft: readers see the post, the author this.
    pending = models.ForeignKey(
        "Revision", null=True, blank=True, editable=False, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    # When it was moved to the trash (blog.publishing.trash_posts); readers get 410 Gone.
    deleted_at = models.DateTimeField(
        _("moved to the trash"), null=True, blank=True, editable=False
    )

    objects = PostManager()
    all_objects = PostQuerySet.as_manager()

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
            # Partial: the trash is never listed, and the lists' queries say so.
            models.Index(
                fields=["status", "-published_at", "-id"],
                name="post_status_published",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["category", "status", "-published_at", "-id"],
                name="post_category_list",
                condition=models.Q(deleted_at__isnull=True),
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
        storage = media.storage()
        base = media.base_url(storage)
        static = "/" + settings.STATIC_URL.lstrip("/")
        lookups = MAX_STORAGE_LOOKUPS
        for src in srcs:
            if src in known:
                continue
            if name := storage_name(src, base):
                if lookups:  # stored before rows, or not at all
                    lookups -= 1
                    known[src] = "" if media.stored(storage, name) else None
            elif src.startswith(static):
                known[src] = "" if media.static_file_exists(src[len(static) :]) else None
            elif media.of_this_site(src):
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


class TrashManager(models.Manager.from_queryset(PostQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=False)


class TrashedPost(Post):
    """The posts in the trash, as their own list in the admin (restore, delete for good)."""

    objects = TrashManager()

    class Meta:
        proxy = True
        ordering = ["-deleted_at"]
        verbose_name = _("post in the trash")
        verbose_name_plural = _("trash")
