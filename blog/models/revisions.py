"""What a post was after each save (blog.revisions reads and prunes them)."""

import zlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# What a revision keeps besides the Markdown (blog.revisions.FIELDS and the tags).
VALUE_FIELDS = (
    "title", "slug", "summary", "category_id", "author_id", "tags", "status", "published_at",
)  # fmt: skip


class Revision(models.Model):
    class Kind(models.TextChoices):
        SAVED = "saved", _("Saved")
        # Changes to a live post that readers do not see until they are published.
        DRAFT = "draft", _("Unpublished changes")
        # What an author was typing, saved every few seconds; one per author and post.
        AUTOSAVE = "autosave", _("Autosaved")
        # A save refused because someone else saved first: the author's text, kept.
        CONFLICT = "conflict", _("Not saved (edit conflict)")

    # Empty only for what an author typed into a post never saved (an autosave).
    post = models.ForeignKey("Post", null=True, on_delete=models.CASCADE, related_name="revisions")
    # 1, 2, 3… in the order of the post's saves; 0 for autosaves, which are not in the line.
    number = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SAVED)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # What changed since the revision before: {"fields": […], "added": n, "removed": n, …}.
    changes = models.JSONField(default=dict)
    title = models.CharField(max_length=200)
    slug = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    category_id = models.IntegerField(null=True)  # by id: deleting a category keeps history
    author_id = models.IntegerField(null=True)
    tags = models.JSONField(default=list)
    status = models.CharField(max_length=10)
    published_at = models.DateTimeField(null=True)
    # The Markdown, compressed: a post's history is many copies of nearly the same text.
    body_z = models.BinaryField()

    class Meta:
        ordering = ["-number", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "number"],
                condition=~models.Q(kind="autosave"),
                name="revision_number_once",
            ),
            models.UniqueConstraint(
                fields=["post", "user"],
                condition=models.Q(kind="autosave"),
                name="one_autosave_per_author",
            ),
            # A new post's autosave has no post yet: one of those per author too.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(kind="autosave", post__isnull=True),
                name="one_new_post_autosave_per_author",
            ),
        ]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self):
        return f"#{self.number}"

    @property
    def body(self):
        return zlib.decompress(bytes(self.body_z)).decode()

    def set_values(self, values):
        for name in VALUE_FIELDS:
            setattr(self, name, values[name])
        self.body_z = zlib.compress(values["body"].encode(), 6)

    def values(self):
        """The post as this revision keeps it (blog.revisions.snapshot's keys)."""
        return {**{name: getattr(self, name) for name in VALUE_FIELDS}, "body": self.body}
