"""The write path: every change to posts, categories and tags goes through these functions
(the admin, the importer, the commands). Each runs in a transaction, moves the site's content
generation on inside it (blog.freshness), and collects what it changed; when the outermost
transaction commits, one `content_changed` signal announces everything it changed, once per
post, to the search index and any cache. A rolled-back transaction announces nothing.

The rules that used to be repeated by each caller live here once:

- "Publish" without a time the author chose means now; a future time is kept (scheduling); a
  past time is used only when the author set it on purpose (`time_chosen`).
- `updated_at` is the author's edit time: it moves when the post's own content changes, never
  for publishing, re-rendering or a renamed category, and never backwards (an import may say
  when the file was last edited, but not undo a later edit made here).
- A renamed category or tag changes its posts' pages, not the posts: no post row and no
  search entry is written (entries carry labels by id).
"""

import contextvars
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import Signal, receiver
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from . import freshness
from .models import Category, Post, unique_slug

logger = logging.getLogger(__name__)

# Sent once per committed transaction with `change`, a Change.
content_changed = Signal()

# What an author changes when editing a post; a change to any of them is an edit.
EDITED_FIELDS = ("title", "slug", "body", "summary", "category_id", "author_id")
STORED_FIELDS = (
    *EDITED_FIELDS, "status", "published_at", "first_published_at", "updated_at",
    "front_matter", "source_key",
)  # fmt: skip


@dataclass
class Change:
    """What one transaction changed."""

    posts: set = field(default_factory=set)  # their own content or visibility
    relabelled: set = field(default_factory=set)  # their tags were merged or deleted
    deleted: set = field(default_factory=set)
    categories: set = field(default_factory=set)  # lists whose page or feed may differ
    tags: set = field(default_factory=set)
    outside_write_path: bool = False

    def __bool__(self):
        return any((self.posts, self.relabelled, self.deleted, self.categories, self.tags))


_writing = contextvars.ContextVar("blog_writing", default=False)


def _pending():
    """The Change of the current transaction, made (and the generation moved on) at its
    first use. A transaction that was rolled back took its on-commit callback with it, so a
    Change whose callback is no longer queued belongs to the past."""
    connection = transaction.get_connection()
    change = getattr(connection, "_blog_change", None)
    queued = change is not None and any(
        func is change.announce for _sids, func, _robust in connection.run_on_commit
    )
    if not queued:
        change = Change()
        freshness.advance()

        def announce(change=change):
            _announce(change)

        change.announce = announce
        transaction.on_commit(announce)
        connection._blog_change = change
    return change


def _announce(change):
    change.posts -= change.deleted
    change.relabelled -= change.posts | change.deleted
    for listener, result in content_changed.send_robust(sender=Change, change=change):
        if isinstance(result, Exception):
            # The change is committed; a listener that fails (search index) must not turn
            # the author's save into an error page. rebuild_search_index repairs it.
            logger.error("content_changed listener %r failed: %r", listener, result)


def _note(*, posts=(), relabelled=(), deleted=(), categories=(), tags=()):
    change = _pending()
    change.posts.update(posts)
    change.relabelled.update(relabelled)
    change.deleted.update(deleted)
    change.categories.update(c for c in categories if c is not None)
    change.tags.update(tags)
    return change


@contextmanager
def _write():
    token = _writing.set(True)
    try:
        with transaction.atomic():
            yield
    finally:
        _writing.reset(token)


def _tag_ids(post_ids):
    content_type = ContentType.objects.get_for_model(Post)
    return set(
        TaggedItem.objects.filter(content_type=content_type, object_id__in=post_ids).values_list(
            "tag_id", flat=True
        )
    )


def _posts_tagged(tag_ids):
    content_type = ContentType.objects.get_for_model(Post)
    return set(
        TaggedItem.objects.filter(content_type=content_type, tag_id__in=tag_ids).values_list(
            "object_id", flat=True
        )
    )


# --- Posts ------------------------------------------------------------------------------------


def save_post(post, *, tags=None, time_chosen=True, edited_at=None):
    """Creates or edits `post` (and sets its tags, if given, as a list of names).

    `time_chosen` says whether the author picked `published_at` on purpose; when not, a post
    that becomes published now is dated now. `edited_at` is when the content was edited
    (an imported file's own date); it defaults to now and never moves the edit time back."""
    now = timezone.now()
    with _write():
        before = None
        if post.pk:
            before = Post.objects.filter(pk=post.pk).values(*STORED_FIELDS).first()
        old_tags = {}
        if before is not None:
            old_tags = {t.name.lower(): t.pk for t in post.tags.all()}
        tags_changed = tags is not None and {n.lower() for n in tags} != set(old_tags)

        post.body = post.body.rstrip()
        becomes_public = post.status == Post.Status.PUBLISHED and (
            before is None or before["status"] != Post.Status.PUBLISHED
        )
        if becomes_public and not time_chosen and post.published_at <= now:
            post.published_at = now
        if post.status == Post.Status.PUBLISHED and post.first_published_at is None:
            post.first_published_at = post.published_at
        if not post.slug:
            post.slug = unique_slug(Post, post.title, exclude_pk=post.pk)

        if before is None:
            post.updated_at = edited_at or now
            post.save()
        else:
            edited = tags_changed or any(getattr(post, f) != before[f] for f in EDITED_FIELDS)
            if edited:
                post.updated_at = max(before["updated_at"], edited_at or now)
            else:
                post.updated_at = before["updated_at"]
            changed = [f for f in STORED_FIELDS if getattr(post, f) != before[f]]
            if not changed and not tags_changed:
                return post
            if changed:
                post.save(update_fields=[f.removesuffix("_id") for f in changed])
        if tags_changed:
            post.tags.set(list(tags))
            # A prefetched list would be stale now.
            getattr(post, "_prefetched_objects_cache", {}).pop("tags", None)
        new_tags = set(old_tags.values()) | (_tag_ids([post.pk]) if tags_changed else set())
        _note(
            posts={post.pk},
            categories={post.category_id, before and before["category_id"]},
            tags=new_tags,
        )
    return post


def create_post(*, tags=(), time_chosen=True, edited_at=None, **fields):
    """A new post from field values (the demo, tests, scripts)."""
    return save_post(Post(**fields), tags=list(tags), time_chosen=time_chosen, edited_at=edited_at)


def bulk_create_posts(posts, *, index=True):
    """Many new, already rendered posts in a few INSERTs (fixtures, benchmarks). With
    `index=False` the caller has written their search entries itself."""
    with _write():
        created = Post.objects.bulk_create(posts, batch_size=500)
        _note(
            posts={p.pk for p in created} if index else (),
            categories={p.category_id for p in created},
        )
    return created


def publish(posts, at=None):
    """Publishes drafts among `posts` (a queryset): at `at`, or else now, except that a
    draft already dated in the future keeps that time and is scheduled. Returns how many."""
    now = timezone.now()
    with _write():
        drafts = posts.exclude(status=Post.Status.PUBLISHED)
        ids = list(drafts.values_list("pk", flat=True))
        if not ids:
            return 0
        targets = Post.objects.filter(pk__in=ids)
        if at is None:
            targets.filter(published_at__lte=now).update(published_at=now)
        else:
            targets.update(published_at=at)
        targets.update(status=Post.Status.PUBLISHED)
        targets.filter(first_published_at__isnull=True).update(first_published_at=F("published_at"))
        _note_posts(ids)
    return len(ids)


def unpublish(posts):
    """Takes published (and scheduled) posts among `posts` back to drafts. Returns how many."""
    with _write():
        ids = list(posts.filter(status=Post.Status.PUBLISHED).values_list("pk", flat=True))
        if ids:
            Post.objects.filter(pk__in=ids).update(status=Post.Status.DRAFT)
            _note_posts(ids)
    return len(ids)


def delete_posts(posts):
    """Deletes `posts` (a queryset or a list of posts). Returns how many."""
    with _write():
        ids = (
            [p.pk for p in posts]
            if isinstance(posts, list)
            else list(posts.values_list("pk", flat=True))
        )
        if not ids:
            return 0
        categories = set(
            Post.objects.filter(pk__in=ids).values_list("category_id", flat=True).distinct()
        )
        tags = _tag_ids(ids)
        Post.objects.filter(pk__in=ids).delete()
        _note(deleted=ids, categories=categories, tags=tags)
    return len(ids)


def rerender(posts, progress=None):
    """Renders `posts` again (after the Markdown pipeline changed) and stores what differs.
    Neither the edit time nor anything the author wrote changes. Returns the posts that
    changed, as (post, warnings) of every post."""
    changed, problems = 0, []
    batch = []

    def store(batch):
        with _write():
            for post in batch:
                Post.objects.filter(pk=post.pk).update(
                    **{name: getattr(post, name) for name in Post.RENDERED_FIELDS}
                )
            _note_posts([p.pk for p in batch])

    total = posts.count()
    for done, post in enumerate(posts.order_by("pk").iterator(chunk_size=200), 1):
        stored = tuple(getattr(post, name) for name in Post.RENDERED_FIELDS)
        post.render()
        problems += [(post.slug, warning) for warning in post.render_warnings]
        if tuple(getattr(post, name) for name in Post.RENDERED_FIELDS) != stored:
            batch.append(post)
            changed += 1
        if len(batch) >= 200:
            store(batch)
            batch = []
        if progress:
            progress(done, total)
    if batch:
        store(batch)
    return total, changed, problems


def _note_posts(ids):
    categories = set(
        Post.objects.filter(pk__in=ids).values_list("category_id", flat=True).distinct()
    )
    _note(posts=ids, categories=categories, tags=_tag_ids(ids))


# --- Categories -------------------------------------------------------------------------------


def save_category(category):
    """Creates or edits a category. A new name is not an edit of its posts."""
    with _write():
        category.save()
        # A new name changes its posts' pages and feeds (the lists announced here), but no
        # post and no search entry: those carry the category by id.
        _note(categories={category.pk})
    return category


def ensure_category(name, slug=""):
    """The category called `name` (whatever its case), created when there is none.
    Returns (category, created)."""
    with _write():
        category = Category.objects.filter(name__iexact=name).first()
        if category:
            return category, False
        if not slug or Category.objects.filter(slug=slug).exists():
            slug = unique_slug(Category, name, max_length=100)
        return save_category(Category(name=name, slug=slug)), True


def delete_categories(categories):
    """Deletes categories (a queryset); the database refuses one that still has posts."""
    with _write():
        ids = list(categories.values_list("pk", flat=True))
        Category.objects.filter(pk__in=ids).delete()
        if ids:
            _note(categories=ids)
    return len(ids)


# --- Tags -------------------------------------------------------------------------------------


def save_tag(tag):
    """Creates or edits a tag. A new name is not an edit of the posts that carry it."""
    with _write():
        tag.save()
        _note(tags={tag.pk})  # as a category's: its posts carry it by id
    return tag


def delete_tags(tags):
    """Deletes tags (a queryset) and their taggings; their posts are relabelled."""
    with _write():
        ids = list(tags.values_list("pk", flat=True))
        if not ids:
            return 0
        relabelled = _posts_tagged(ids)
        Tag.objects.filter(pk__in=ids).delete()
        _note(tags=ids, relabelled=relabelled)
    return len(ids)


def merge_tags(tags, into):
    """Every post carrying one of `tags` (a queryset) carries the tag named `into` instead
    (made if it does not exist, matched whatever its case); the merged tags are deleted.
    Returns the remaining tag."""
    with _write():
        target = Tag.objects.filter(name__iexact=into).first()
        if target is None:
            target = save_tag(Tag(name=into))
        sources = list(tags.exclude(pk=target.pk).values_list("pk", flat=True))
        posts = _posts_tagged(sources)
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
        Tag.objects.filter(pk__in=sources).delete()
        _note(tags={target.pk, *sources}, relabelled=posts)
    return target


# --- Writes that bypassed this module ---------------------------------------------------------
# A shell session or a third-party app may still save a model directly. Nothing here does the
# work of the write path for them (no publication rule, no edit time), but what they changed
# is announced all the same, so no cache or search entry can go stale, and the log names it.


def _stray(reason, **changes):
    if _writing.get():
        return
    with transaction.atomic():
        change = _note(**changes)
        if not change.outside_write_path:
            change.outside_write_path = True
            logger.warning("%s outside blog.publishing; announced all the same", reason)


@receiver(post_save, sender=Post, dispatch_uid="stray-post-saved")
def _post_saved(sender, instance, **kwargs):
    _stray("a post was saved", posts={instance.pk}, categories={instance.category_id})


@receiver(post_delete, sender=Post, dispatch_uid="stray-post-deleted")
def _post_deleted(sender, instance, **kwargs):
    _stray("a post was deleted", deleted={instance.pk}, categories={instance.category_id})


@receiver(m2m_changed, sender=Post.tags.through, dispatch_uid="stray-post-tagged")
def _post_tagged(sender, instance, action, pk_set=None, **kwargs):
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, Post):
        getattr(instance, "_prefetched_objects_cache", {}).pop("tags", None)
        _stray("a post's tags were changed", posts={instance.pk}, tags=pk_set or ())


@receiver(post_save, sender=TaggedItem, dispatch_uid="stray-tagging-saved")
@receiver(post_delete, sender=TaggedItem, dispatch_uid="stray-tagging-deleted")
def _tagging_changed(sender, instance, **kwargs):
    if instance.content_type_id == ContentType.objects.get_for_model(Post).pk:
        _stray("a tagging was changed", posts={instance.object_id}, tags={instance.tag_id})


@receiver(post_save, sender=Category, dispatch_uid="stray-category-saved")
def _category_saved(sender, instance, **kwargs):
    _stray("a category was saved", categories={instance.pk})


@receiver(post_delete, sender=Category, dispatch_uid="stray-category-deleted")
def _category_deleted(sender, instance, **kwargs):
    _stray("a category was deleted", categories={instance.pk})


@receiver(post_save, sender=Tag, dispatch_uid="stray-tag-saved")
def _tag_saved(sender, instance, **kwargs):
    _stray("a tag was saved", tags={instance.pk})


@receiver(pre_delete, sender=Tag, dispatch_uid="stray-tag-deleting")
def _tag_deleting(sender, instance, **kwargs):
    if not _writing.get():
        _stray("a tag was deleted", tags={instance.pk}, relabelled=_posts_tagged([instance.pk]))
