"""Addresses readers may still have: a post's, category's or tag's slug before it was
changed, and the paths an imported post had on the site it came from (blog.addresses
answers them with a 301)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FormerAddress(models.Model):
    class Kind(models.TextChoices):
        POST = "post", _("post")
        CATEGORY = "category", _("category")
        TAG = "tag", _("tag")
        # A whole path of another site (Hugo's aliases, Hexo's and Jekyll's permalinks).
        PATH = "path", _("path")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The old slug, or the old path (from its leading "/").
    old = models.CharField(max_length=500)
    # What it leads to now: through any number of renames, since the row names the thing,
    # not the next slug.
    post = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.CASCADE, related_name="former_addresses"
    )
    category = models.ForeignKey(
        "Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tag = models.ForeignKey(
        "taggit.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "old"], name="former_address_once"),
        ]
        verbose_name = _("former address")
        verbose_name_plural = _("former addresses")

    def __str__(self):
        return f"{self.kind}:{self.old}"
