"""Posts through the write path (blog.publishing): saved, published, deleted, rendered again."""

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from .. import addresses, revisions
from ..changes import record, writing
from ..models import Category, ImageUse, Post, unique_slug, validate_tags
from ..rendering import validate_article_size
from .labels import address_nameless_tags, gives_no_slug

# What an author changes when editing a post; a change to any of them is an edit.
EDITED_FIELDS = ("title", "slug", "body", "summary", "category_id", "author_id")
STORED_FIELDS = (
    *EDITED_FIELDS, "status", "published_at", "first_published_at", "updated_at",
    "front_matter", "source_key", "pending_id", "series_id", "series_position",
)  # fmt: skip
# Read with them, not compared: moved on by every save that stores a change.
READ_FIELDS = (*STORED_FIELDS, "version")


def _tag_ids(post_ids):
    content_type = ContentType.objects.get_for_model(Post)
    return set(
        TaggedItem.objects.filter(content_type=content_type, object_id__in=post_ids).values_list(
            "tag_id", flat=True
        )
    )


# --- Posts ------------------------------------------------------------------------------------


def save_post(post, *, tags=None, time_chosen=None, edited_at=None, user=None, restored=None):
    """Creates or edits `post` (and sets its tags, if given, as a list of names). A save that
    changes anything is a new revision of the post, made by `user` (blog.revisions); one
    of revision number `restored`, when it brings that one back.

    `time_chosen` says whether the author picked `published_at` on purpose; when not, a post
    that becomes published now is dated now. Left out, a time given to a new post counts as
    chosen, and an existing post's time as chosen only if the caller changed it. `edited_at`
    is when the content was edited (an imported file's own date); it defaults to now and
    never moves the edit time back. A body over the size limit is a ValidationError, raised
    before anything is rendered or written."""
    validate_article_size(post.body or "")
    if tags is not None:
        validate_tags(tags)
    now = timezone.now()
    with writing():
        before = None
        if post.pk:
            before = Post.objects.filter(pk=post.pk).values(*READ_FIELDS).first()
        old_tags, old_names = {}, []
        if before is not None:
            for tag in post.tags.all():
                old_tags[tag.name.lower()] = tag.pk
                old_names.append(tag.name)
        tags_changed = tags is not None and {n.lower() for n in tags} != set(old_tags)

        post.body = stored_body(post.body)
        becomes_public = post.status == Post.Status.PUBLISHED and (
            before is None or before["status"] != Post.Status.PUBLISHED
        )
        if time_chosen is None:
            time_chosen = before is None or post.published_at != before["published_at"]
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
            post.version = before["version"] + 1
            post.save(update_fields=["version", *(f.removesuffix("_id") for f in changed)])
        if before is None or before["slug"] != post.slug:
            if before is not None:
                addresses.moved(addresses.Kind.POST, before["slug"], post=post)
            addresses.taken(addresses.Kind.POST, post.slug)
        if before is None and getattr(post, "used_images", None):
            _record_images(post, had=set())
        elif before is not None and before["body"] != post.body:
            _record_images(post)
        if tags_changed:
            post.tags.set(list(tags))
            if any(gives_no_slug(name) for name in tags):
                address_nameless_tags(Tag.objects.filter(pk__in=_tag_ids([post.pk])))
            # A prefetched list would be stale now.
            getattr(post, "_prefetched_objects_cache", {}).pop("tags", None)
        _record_revision(post, before, old_names, tags, user, restored)
        new_tags = set(old_tags.values()) | (_tag_ids([post.pk]) if tags_changed else set())
        record(
            posts={post.pk},
            categories={post.category_id, before and before["category_id"]},
            tags=new_tags,
        )
    return post


def stored_body(text):
    """The Markdown as it is kept: a browser's form sends CRLF, a file may hold it; kept with
    LF (what Python-Markdown reads either way), without trailing blank lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def _record_revision(post, before, old_names, tags, user, restored):
    """The revision of this save; for a post saved before revisions were kept, first the one
    of what it was, so that this change can be undone too."""
    names = old_names if tags is None else tags
    previous = None
    if before is not None:
        previous = {name: before[name] for name in revisions.FIELDS}
        previous.update(body=before["body"], tags=sorted(old_names, key=str.lower))
        revisions.baseline(post, {**previous, "updated_at": before["updated_at"]}, old_names)
    extra = {"restored": restored} if restored else None
    revisions.record(post, names, user=user, before=previous, extra=extra)
    revisions.prune(post)


def restore_revision(post, revision, *, user=None):
    """Brings back what the author wrote in `revision` (title, address, category, tags,
    summary, Markdown) as a new save; publication stays as it is, a decision of its own.
    An address another post has taken since is not taken back."""
    values = revision.values()
    for name in ("title", "summary", "body"):
        setattr(post, name, values[name])
    if values["category_id"] and Category.objects.filter(pk=values["category_id"]).exists():
        post.category_id = values["category_id"]
    if not Post.all_objects.filter(slug=values["slug"]).exclude(pk=post.pk).exists():
        post.slug = values["slug"]
    return save_post(post, tags=values["tags"], user=user, restored=revision.number)


def _record_images(post, had=None):
    """Which kept images the post's body names (found by its rendering), so that one still
    shown cannot be deleted (ImageUse protects it) and the image list says where it is used."""
    used = {image.pk for image in getattr(post, "used_images", None) or ()}
    if had is None:
        had = set(ImageUse.objects.filter(post=post).values_list("image_id", flat=True))
    if had - used:
        ImageUse.objects.filter(post=post, image_id__in=had - used).delete()
    if used - had:
        ImageUse.objects.bulk_create(ImageUse(post=post, image_id=pk) for pk in used - had)


def create_post(*, tags=(), time_chosen=None, edited_at=None, **fields):
    """A new post from field values (the demo, tests, scripts)."""
    return save_post(Post(**fields), tags=list(tags), time_chosen=time_chosen, edited_at=edited_at)


def bulk_create_posts(posts, *, tags=None, index=True):
    """Many new, already rendered posts in a few INSERTs (fixtures, benchmarks). `tags`, when
    given, holds each post's Tag objects, in the order of `posts`. With `index=False` the
    caller has written their search entries itself."""
    with writing():
        created = Post.objects.bulk_create(posts, batch_size=500)
        tag_ids = set()
        if tags is not None:
            content_type = ContentType.objects.get_for_model(Post)
            taggings = [
                TaggedItem(content_type=content_type, object_id=post.pk, tag_id=tag.pk)
                for post, own in zip(created, tags, strict=True)
                for tag in own
            ]
            TaggedItem.objects.bulk_create(taggings, batch_size=2000)
            tag_ids = {tagging.tag_id for tagging in taggings}
        record(
            posts={p.pk for p in created} if index else (),
            categories={p.category_id for p in created},
            tags=tag_ids,
        )
    return created


def publish(posts, *, user=None):
    """Publishes the drafts among `posts` (a queryset) now, except that a draft already dated
    in the future keeps that time and is scheduled. Returns how many. Each is a revision
    of its post, by `user`."""
    now = timezone.now()
    with writing():
        drafts = posts.exclude(status=Post.Status.PUBLISHED)
        ids = list(drafts.values_list("pk", flat=True))
        if not ids:
            return 0
        before = _statuses(ids)
        targets = Post.objects.filter(pk__in=ids)
        targets.filter(published_at__lte=now).update(published_at=now)
        targets.update(status=Post.Status.PUBLISHED, version=F("version") + 1)
        targets.filter(first_published_at__isnull=True).update(first_published_at=F("published_at"))
        _record_status_revisions(ids, before, user)
        _record_posts(ids)
    return len(ids)


def unpublish(posts, *, user=None):
    """Takes published (and scheduled) posts among `posts` back to drafts. Returns how many."""
    with writing():
        ids = list(posts.filter(status=Post.Status.PUBLISHED).values_list("pk", flat=True))
        if ids:
            before = _statuses(ids)
            Post.objects.filter(pk__in=ids).update(
                status=Post.Status.DRAFT, version=F("version") + 1
            )
            _record_status_revisions(ids, before, user)
            _record_posts(ids)
    return len(ids)


def _statuses(ids):
    rows = Post.objects.filter(pk__in=ids).values_list("pk", "status", "published_at")
    return {pk: {"status": status, "published_at": at} for pk, status, at in rows}


def _record_status_revisions(ids, before, user):
    """A revision of each post whose publication an action changed (what else it holds is
    as it was)."""
    for post in Post.objects.filter(pk__in=ids).prefetch_related("tags"):
        names = [tag.name for tag in post.tags.all()]
        previous = {**revisions.snapshot(post, names), **before[post.pk]}
        revisions.baseline(post, {**previous, "updated_at": post.updated_at}, names)
        revisions.record(post, names, user=user, before=previous)


def delete_posts(posts):
    """Deletes `posts` (a queryset or a list of posts, in the trash or not) for good: their
    revisions and old addresses go with them. Returns how many."""
    with writing():
        ids = _ids(posts)
        if not ids:
            return 0
        lists = _lists_of(ids)  # read before the rows and their taggings are gone
        Post.all_objects.filter(pk__in=ids).delete()
        record(deleted=ids, **lists)
    return len(ids)


def trash_posts(posts):
    """Moves `posts` (a queryset or a list) to the trash: gone from every page, feed, list
    and search at once (readers of their address get 410 Gone), kept with their history
    to be restored (restore_posts) until empty_trash deletes them. Returns how many."""
    with writing():
        ids = list(Post.objects.filter(pk__in=_ids(posts)).values_list("pk", flat=True))
        if not ids:
            return 0
        lists = _lists_of(ids)  # read while they are still in the lists
        Post.all_objects.filter(pk__in=ids).update(
            deleted_at=timezone.now(), version=F("version") + 1
        )
        record(deleted=ids, **lists)
    return len(ids)


def restore_posts(posts):
    """Brings posts back from the trash, as they were (published ones are live again)."""
    with writing():
        trashed = Post.all_objects.filter(pk__in=_ids(posts), deleted_at__isnull=False)
        ids = list(trashed.values_list("pk", flat=True))
        if ids:
            Post.all_objects.filter(pk__in=ids).update(deleted_at=None, version=F("version") + 1)
            _record_posts(ids)
    return len(ids)


def empty_trash(days=None, now=None):
    """Deletes for good the posts in the trash for more than `days` (BLOG["TRASH_DAYS"])."""
    days = settings.BLOG["TRASH_DAYS"] if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return delete_posts(Post.all_objects.filter(deleted_at__lt=cutoff))


def _ids(posts):
    if isinstance(posts, (list, tuple)):
        return [post.pk for post in posts]
    return list(posts.values_list("pk", flat=True))


def rerender(posts, progress=None):
    """Renders `posts` again (after the Markdown pipeline changed) and stores what differs.
    Neither the edit time nor anything the author wrote changes. Returns (how many were
    rendered, how many changed, [(slug, warning)] of the formulas that could not be
    converted)."""
    changed, problems = 0, []
    batch = []

    def rendered(post):
        return tuple(getattr(post, name) for name in Post.RENDERED_FIELDS)

    def store(batch):
        with writing():
            written = []
            for post in batch:
                # Only if the source is still what was rendered: an author's edit saved
                # meanwhile was rendered by that save, from the newer text.
                if Post.objects.filter(pk=post.pk, body=post.body, summary=post.summary).update(
                    **{name: getattr(post, name) for name in Post.RENDERED_FIELDS}
                ):
                    written.append(post.pk)
                    _record_images(post)
            if written:
                _record_posts(written)

    total = posts.count()
    for done, post in enumerate(posts.order_by("pk").iterator(chunk_size=200), 1):
        stored = rendered(post)
        post.render()
        problems += [(post.slug, warning) for warning in post.render_warnings]
        if rendered(post) != stored:
            batch.append(post)
            changed += 1
        elif post.used_images:
            # The same page, but an image it shows may have got its row since (adopted);
            # unless an edit saved meanwhile recorded the images of a newer text.
            with writing():
                if Post.objects.filter(pk=post.pk, body=post.body).exists():
                    _record_images(post)
        if len(batch) >= 200:
            store(batch)
            batch = []
        if progress:
            progress(done, total)
    if batch:
        store(batch)
    return total, changed, problems


def _lists_of(ids):
    """The categories and tags of these posts: the lists a change to them reaches."""
    categories = set(
        Post.objects.filter(pk__in=ids).values_list("category_id", flat=True).distinct()
    )
    return {"categories": categories, "tags": _tag_ids(ids)}


def _record_posts(ids):
    record(posts=ids, **_lists_of(ids))
