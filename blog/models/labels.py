"""Categories, and the rules for the addresses (slugs) and tags of what readers browse by."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .. import links

# Tags a post may carry: far more than any article needs, and each new one costs a row; a
# form of 3,000 names took 7.5 s to save, and a request may carry a hundred times that.
MAX_TAGS = 50


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
    others = model._base_manager.all()  # the trash's posts keep their slugs too
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


class NamedLabel(models.Model):
    """A category or a series: its address made from its name when none is given."""

    slug_prefix = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(
                type(self), self.name, exclude_pk=self.pk, max_length=100, fallback=""
            )
        super().save(*args, **kwargs)
        if not self.slug:  # a name without a letter or digit: the address comes from the id
            self.slug = fallback_slug(self, self.slug_prefix)
            super().save(update_fields=["slug"])


class Category(NamedLabel):
    slug_prefix = "category"

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

    def get_absolute_url(self):
        return links.slug_url("blog:category", self.slug)


class Series(NamedLabel):
    """Articles meant to be read in order ("part 3 of 5"), with a page and feeds of their own."""

    slug_prefix = "series"

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, allow_unicode=True, blank=True,
        help_text=_("The address: /series/<slug>/. Left empty, it is made from the name."),
    )  # fmt: skip
    description = models.TextField(
        _("description"), blank=True, help_text=_("One or two sentences for its page.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return links.slug_url("blog:series", self.slug)
