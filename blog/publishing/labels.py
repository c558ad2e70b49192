"""Categories and tags through the write path (blog.publishing)."""

import re

from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

from .. import addresses
from ..changes import posts_tagged, record, writing
from ..models import Category, Post, Series, fallback_slug

# --- Categories -------------------------------------------------------------------------------


def save_category(category):
    """Creates or edits a category. A new name is not an edit of its posts."""
    with writing():
        old = _slug_now(Category, category)
        category.save()
        _renamed(addresses.Kind.CATEGORY, old, category, category=category)
        # A new name changes its posts' pages and feeds (the lists announced here), but no
        # post and no search entry: those carry the category by id.
        record(categories={category.pk})
    return category


def ensure_category(name, slug=""):
    """The category called `name` (whatever its case), created when there is none.
    Returns (category, created)."""
    with writing():
        category = Category.objects.filter(name__iexact=name).first()
        if category:
            return category, False
        # A slug given with the name (an imported file's) is a wish: made a slug, and left
        # out when taken, so the category's save makes one from the name (or its id).
        slug = slugify(slug, allow_unicode=True)[:100].strip("-")
        if slug and Category.objects.filter(slug=slug).exists():
            slug = ""
        return save_category(Category(name=name, slug=slug)), True


def delete_categories(categories):
    """Deletes categories (a queryset); the database refuses one that still has posts."""
    with writing():
        ids = list(categories.values_list("pk", flat=True))
        Category.objects.filter(pk__in=ids).delete()
        if ids:
            record(categories=ids)
    return len(ids)


def delete_category_into(category, into):
    """Moves every post of `category` (the trash's too) to the category `into`, then deletes
    it; its addresses lead to `into` from then on. Returns how many posts moved."""
    with writing():
        ids = list(Post.all_objects.filter(category=category).values_list("pk", flat=True))
        Post.all_objects.filter(pk__in=ids).update(category=into, version=F("version") + 1)
        addresses.moved(addresses.Kind.CATEGORY, category.slug, category=into)
        addresses.repoint(addresses.Kind.CATEGORY, [category.pk], into)
        Category.objects.filter(pk=category.pk).delete()
        record(posts=ids, categories={category.pk, into.pk})
    return len(ids)


# --- Series -------------------------------------------------------------------------------


def save_series(series):
    """Creates or edits a series; its posts' pages show its name."""
    with writing():
        series.save()
        record(posts=set(Post.objects.filter(series=series).values_list("pk", flat=True)))
    return series


def ensure_series(name):
    """The series called `name` (whatever its case), created when there is none."""
    with writing():
        found = Series.objects.filter(name__iexact=name).first()
        return found or save_series(Series(name=name[:100]))


def delete_series(series):
    """Deletes series (a queryset); their posts stay, in no series."""
    with writing():
        ids = list(series.values_list("pk", flat=True))
        posts = set(Post.all_objects.filter(series_id__in=ids).values_list("pk", flat=True))
        Post.all_objects.filter(pk__in=posts).update(series=None, series_position=None)
        Series.objects.filter(pk__in=ids).delete()
        record(posts=posts)
    return len(ids)


def _slug_now(model, thing):
    if not thing.pk:
        return None
    return model.objects.filter(pk=thing.pk).values_list("slug", flat=True).first()


def _renamed(kind, old, thing, **target):
    """A changed slug is an address readers may have: it leads to `thing` from now on."""
    if old == thing.slug:
        return
    if old:
        addresses.moved(kind, old, **target)
    addresses.taken(kind, thing.slug)


# --- Tags -------------------------------------------------------------------------------------


def save_tag(tag):
    """Creates or edits a tag. A new name is not an edit of the posts that carry it."""
    with writing():
        old = _slug_now(Tag, tag)
        tag.save()
        address_nameless_tags([tag])
        _renamed(addresses.Kind.TAG, old, tag, tag=tag)
        record(tags={tag.pk})  # as a category's: its posts carry it by id
    return tag


# What taggit's Tag.save makes of a name without a letter or digit: "", then "_1", "_2"…
TAGGIT_EMPTY_SLUG_RE = re.compile(r"_[0-9]+")


def gives_no_slug(name):
    return not Tag().slugify(name)  # taggit's own rule, whatever its settings


def address_nameless_tags(tags):
    """A tag whose name gives no slug (🔥, !!!) is called tag-<id>, as a category is
    (models.fallback_slug): taggit leaves its slug empty, and an address /tag// breaks every
    page that links to it (issue 10, finding 5)."""
    for tag in tags:
        made_of_nothing = TAGGIT_EMPTY_SLUG_RE.fullmatch(tag.slug) and gives_no_slug(tag.name)
        if not tag.slug or made_of_nothing:
            tag.slug = fallback_slug(tag, "tag")
            Tag.objects.filter(pk=tag.pk).update(slug=tag.slug)


def delete_tags(tags):
    """Deletes tags (a queryset) and their taggings; their posts are relabelled."""
    with writing():
        ids = list(tags.values_list("pk", flat=True))
        if not ids:
            return 0
        relabelled = posts_tagged(ids)
        Tag.objects.filter(pk__in=ids).delete()
        record(tags=ids, relabelled=relabelled)
    return len(ids)


def merge_tags(tags, into):
    """Every post carrying one of `tags` (a queryset) carries the tag named `into` instead
    (made if it does not exist, matched whatever its case); the merged tags are deleted.
    Returns the remaining tag."""
    with writing():
        target = Tag.objects.filter(name__iexact=into).first()
        if target is None:
            target = save_tag(Tag(name=into))
        sources = list(tags.exclude(pk=target.pk).values_list("pk", flat=True))
        posts = posts_tagged(sources)
        content_type = ContentType.objects.get_for_model(Post)
        already = set(
            TaggedItem.objects.filter(
                content_type=content_type, tag=target, object_id__in=posts
            ).values_list("object_id", flat=True)
        )
        TaggedItem.objects.bulk_create(
            TaggedItem(content_type=content_type, object_id=pk, tag=target)
            for pk in sorted(posts - already)
        )
        # The merged tags' addresses, and those they had before, lead to the one left.
        for slug in Tag.objects.filter(pk__in=sources).values_list("slug", flat=True):
            addresses.moved(addresses.Kind.TAG, slug, tag=target)
        addresses.repoint(addresses.Kind.TAG, sources, target)
        Tag.objects.filter(pk__in=sources).delete()
        record(tags={target.pk, *sources}, relabelled=posts)
    return target
