"""Keeps what derives from a post, its tags and its category in step when they change: the
post's search entry, and its update time when its tags change or are renamed (feeds and
caches key on it)."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone
from taggit.models import Tag

from .models import Category, Post, SearchEntry
from .rendering.text import texts_of
from .search import document_tokens


def entry_values(post):
    names = [post.category.name, *(tag.name for tag in post.tags.all())]
    texts = texts_of(post.body_html)
    return {
        "title": document_tokens(post.title),
        "tags": document_tokens(" ".join(names)),
        # What a reader reads, code included; formulas are not words.
        "body": document_tokens(texts.reading),
        "text": texts.plain,
    }


def update_entry(post):
    SearchEntry.objects.update_or_create(post=post, defaults=entry_values(post))


@receiver(post_save, sender=Post, dispatch_uid="search-post-saved")
def post_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        update_entry(instance)


@receiver(m2m_changed, sender=Post.tags.through, dispatch_uid="search-tags-changed")
def tags_changed(sender, instance, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, Post):
        # The post's prefetched tags, if any, are stale now.
        getattr(instance, "_prefetched_objects_cache", {}).pop("tags", None)
        update_entry(instance)
        now = timezone.now()
        Post.objects.filter(pk=instance.pk).update(updated_at=now)
        instance.updated_at = now


@receiver(post_save, sender=Category, dispatch_uid="search-category-saved")
def category_saved(sender, instance, created, raw=False, **kwargs):
    if not created and not raw:
        for post in instance.posts.select_related("category").prefetch_related("tags"):
            update_entry(post)
        # Its posts show the category's name (pages, feeds): they changed, for every cache
        # and feed reader that keys on their update time.
        instance.posts.update(updated_at=timezone.now())


@receiver(post_save, sender=Tag, dispatch_uid="search-tag-saved")
def tag_saved(sender, instance, created, raw=False, **kwargs):
    if not created and not raw:
        tagged = Post.objects.filter(tags=instance).select_related("category")
        for post in tagged.prefetch_related("tags"):
            update_entry(post)
        Post.objects.filter(tags=instance).update(updated_at=timezone.now())


@receiver(pre_delete, sender=Tag, dispatch_uid="search-tag-deleting")
def tag_deleting(sender, instance, **kwargs):
    # Deleting a tag removes its taggings without an m2m signal: note the posts now…
    instance._search_posts = list(Post.objects.filter(tags=instance).values_list("pk", flat=True))


@receiver(post_delete, sender=Tag, dispatch_uid="search-tag-deleted")
def tag_deleted(sender, instance, **kwargs):
    # …and index them again once the tag is gone.
    posts = Post.objects.filter(pk__in=getattr(instance, "_search_posts", []))
    for post in posts.select_related("category").prefetch_related("tags"):
        update_entry(post)
