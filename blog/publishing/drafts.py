"""Changes to a live post kept as a draft (blog.publishing): readers keep the published
version while the author goes on, previews, shares a preview link, and publishes the
changes when they are ready (an ordinary save of the post form, which clears the draft)."""

from django.db.models import F

from .. import revisions
from ..changes import writing
from ..models import Post, Revision
from .posts import stored_body


def save_draft(post, tags, *, user=None):
    """Keeps `post` as it is in memory (the form's values) as the post's pending draft; the
    stored post, what readers see, does not change. Returns the draft's revision."""
    with writing():
        stored = Post.objects.select_for_update().get(pk=post.pk)
        names = list(stored.tags.names())
        now = revisions.snapshot(stored, names)
        revisions.baseline(stored, {**now, "updated_at": stored.updated_at}, names)
        post.body = stored_body(post.body)
        # The series is not a revision's field: the draft carries it beside its summary.
        draft = revisions.record(
            post, tags if tags is not None else names, user=user, kind=Revision.Kind.DRAFT,
            before=now, extra={"series": [post.series_id, post.series_position]},
        )  # fmt: skip
        Post.objects.filter(pk=post.pk).update(pending=draft, version=F("version") + 1)
        post.pending, post.version = draft, stored.version + 1
    return draft


def discard_draft(post):
    """Forgets the pending draft of `post` (its revision stays in the history)."""
    with writing():
        Post.objects.filter(pk=post.pk).update(pending=None, version=F("version") + 1)
        post.pending = None


def with_draft(post):
    """`post` in memory as its pending draft has it (title, address, category, tags as
    `draft_tags`, summary, Markdown), rendered; the post itself when it has none."""
    draft = post.pending
    if draft is None:
        return post
    values = draft.values()
    for name in ("title", "summary", "body", "category_id"):
        if values.get(name) is not None:
            setattr(post, name, values[name])
    post.draft_tags = values["tags"]
    apply_series(post, draft)
    post.render()
    return post


def apply_series(post, draft):
    """The series and part a draft was saved with, on `post` in memory."""
    if series := draft.changes.get("series"):
        post.series_id, post.series_position = series
