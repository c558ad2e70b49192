"""What a transaction changed, announced once after it commits.

blog.publishing records each change it makes here. The first record of a transaction moves
the site's content generation on (blog.freshness) inside that transaction; when the outermost
transaction commits, `content_changed` is sent once with everything recorded, each post once,
to the search index and any cache. A rolled-back transaction announces nothing.

Writes that bypass blog.publishing (a shell session, another app saving a model) are caught by
the receivers at the end, recorded the same way and logged with the line that made them.
`QuerySet.update()` and `bulk_create()` send no model signals: only the write path may use
them.
"""

import contextvars
import logging
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import Signal, receiver
from taggit.models import Tag, TaggedItem

from . import freshness
from .models import Category, Post

logger = logging.getLogger("blog.publishing")

# Sent once per committed transaction, with `change`, a Change.
content_changed = Signal()


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


@contextmanager
def writing():
    """The transaction of a write-path operation. Its first statement locks the generation
    row, so concurrent writers always take their locks in the same order (no deadlock
    between, say, an import and an edit of the same post on PostgreSQL)."""
    outermost = not _writing.get()
    token = _writing.set(True)
    try:
        with transaction.atomic():
            if outermost:
                freshness.lock()
            yield
    finally:
        _writing.reset(token)


def _announcer(change):
    def announce():
        # A rolled-back savepoint may have recorded things that did not happen; listeners
        # look at what is in the database (a deleted post has no row to index).
        change.relabelled -= change.posts
        for listener, result in content_changed.send_robust(sender=Change, change=change):
            if isinstance(result, Exception):
                # The change is committed; a listener that fails (search index) must not
                # turn the author's save into an error page. rebuild_search_index repairs.
                logger.error("content_changed listener %r failed: %r", listener, result)

    return announce


def _pending():
    """The Change of the current transaction, made (and the generation moved on) at its
    first use. A transaction that was rolled back took its on-commit callback with it, so a
    Change whose callback is no longer queued belongs to the past."""
    connection = transaction.get_connection()
    change = getattr(connection, "_blog_change", None)
    queued = change is not None and any(
        entry[1] is change.announce for entry in connection.run_on_commit
    )
    if not queued:
        change = Change()
        freshness.advance()
        change.announce = _announcer(change)
        transaction.on_commit(change.announce)
        connection._blog_change = change
    return change


def record(*, posts=(), relabelled=(), deleted=(), categories=(), tags=()):
    """Adds to what the current transaction changed (called inside `writing()`)."""
    change = _pending()
    change.posts.update(posts)
    change.relabelled.update(relabelled)
    change.deleted.update(deleted)
    change.categories.update(c for c in categories if c is not None)
    change.tags.update(tags)
    return change


def posts_tagged(tag_ids):
    content_type = ContentType.objects.get_for_model(Post)
    return set(
        TaggedItem.objects.filter(content_type=content_type, tag_id__in=tag_ids).values_list(
            "object_id", flat=True
        )
    )


# --- Writes that bypassed blog.publishing ------------------------------------------------------
# Nothing here does the write path's work for them (no publication rule, no edit time), but
# what they changed is announced all the same, and the log names the line that wrote.

PROJECT = Path(settings.BASE_DIR)
# Where a save passes through on its way to the signal: never the line that decided to write.
_PASSAGES = {Path(__file__), *Path(__file__).with_name("models").glob("*.py")}


def _culprit():
    """The innermost line of this project's code in the current stack that made the write."""
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename)
        if path not in _PASSAGES and path.is_relative_to(PROJECT) and ".venv" not in path.parts:
            return f"{path.relative_to(PROJECT)}:{frame.lineno}"
    return "outside the project"


def _stray(reason, **changes):
    if _writing.get():
        return
    with transaction.atomic():
        change = record(**changes)
        if not change.outside_write_path:
            change.outside_write_path = True
            logger.warning(
                "%s outside blog.publishing (%s); announced all the same", reason, _culprit()
            )


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
@receiver(post_delete, sender=Category, dispatch_uid="stray-category-deleted")
def _category_changed(sender, instance, **kwargs):
    _stray("a category was changed", categories={instance.pk})


@receiver(post_save, sender=Tag, dispatch_uid="stray-tag-saved")
def _tag_saved(sender, instance, **kwargs):
    _stray("a tag was saved", tags={instance.pk})


@receiver(pre_delete, sender=Tag, dispatch_uid="stray-tag-deleting")
def _tag_deleting(sender, instance, **kwargs):
    if not _writing.get():
        _stray("a tag was deleted", tags={instance.pk}, relabelled=posts_tagged([instance.pk]))


# Authors' names are on pages and in feeds; their posts' author becomes empty when the user
# is deleted (SET NULL, which sends no signal for the posts).
@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="author-saved")
@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="author-deleting")
def _author_changed(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a login or a new password: nothing readers see
    if Post.objects.filter(author=instance).exists():
        with transaction.atomic():
            record()  # nothing to index again: the site's pages and feeds changed
