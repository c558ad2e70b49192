"""What an author is typing, kept on the server while they type (the writing room's script
sends the form after a few seconds of idle time), so that a crash, a closed tab or a lost
connection costs nothing: opening the post again offers it back.

It is a revision of kind AUTOSAVE, one per author and post (or per author for a post not yet
saved), written over in place: never published, not in the post's line of revisions, and
removed when the author saves the post. For signed-in authors who may write the post (the
admin's login and CSRF checks wrap it), bounded in size by the article limit and limited to
AUTOSAVES_PER_MINUTE a minute per author.
"""

from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponseNotAllowed
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from taggit.utils import edit_string_for_tags, parse_tags

from . import ratelimit, revisions
from .models import MAX_TAGS, Post, Revision
from .preview import no_store_json, number
from .publishing import stored_body
from .rendering.limits import validate_article_size

# The script sends after three seconds without typing; a steady typist pauses a few times a
# minute.
AUTOSAVES_PER_MINUTE = 30
TEXT_FIELDS = {"title": 200, "slug": 200, "summary": 2000}


def autosave(request, may_write, may_change):
    """POST the post form's fields (and `post`, the id of the post, empty for a new one) →
    JSON {saved_at}; with `discard`, the kept text is removed instead."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not may_write(request):
        raise PermissionDenied
    post = None
    if post_id := number(request.POST.get("post", "")):
        post = Post.objects.filter(pk=post_id).first()
        if post is None:
            return no_store_json({"error": _("That post does not exist any more.")}, 404)
        if not may_change(request, post):
            raise PermissionDenied
    if request.POST.get("discard"):
        kept(request.user, post).delete()
        return no_store_json({"discarded": True})
    wait = ratelimit.wait(request.user, "autosave", AUTOSAVES_PER_MINUTE)
    if wait:
        answer = no_store_json(
            {"error": _("Too many autosaves; the next in %(s)s s.") % {"s": wait}}, 429
        )
        answer["Retry-After"] = str(wait)
        return answer
    body = stored_body(request.POST.get("body", "")).strip()
    try:
        validate_article_size(body)
    except ValidationError as error:
        return no_store_json({"error": " ".join(error.messages)}, status=413)
    revision = _write(request.user, post, _values(request.POST, post, body))
    return no_store_json({"saved_at": revision.created_at.isoformat(), "shown": shown(revision)})


def _values(data, post, body):
    # Without the form's validation: a NUL, which no text needs and PostgreSQL refuses, goes.
    def text(name):
        return data.get(name, "").replace("\x00", "")

    values = {name: text(name).strip()[:limit] for name, limit in TEXT_FIELDS.items()}
    values["body"] = body.replace("\x00", "")
    values["tags"] = sorted(parse_tags(text("tags"))[:MAX_TAGS], key=str.lower)
    values["category_id"] = number(data.get("category", ""))
    values["author_id"] = post.author_id if post else None
    values["status"] = post.status if post else Post.Status.DRAFT
    values["published_at"] = post.published_at if post else None
    return values


def _write(user, post, values):
    """The author's one kept text for this post, written over (made the first time)."""
    for _attempt in range(2):
        revision = kept(user, post).first() or Revision(
            post=post, user=user, kind=Revision.Kind.AUTOSAVE, number=0
        )
        revision.set_values(values)
        revision.created_at = timezone.now()
        try:
            with transaction.atomic():
                revision.save()
            return revision
        except IntegrityError:  # another tab's first autosave got there first: write over it
            continue
    raise IntegrityError("autosave kept failing")


def kept(user, post):
    """The author's kept text for `post` (None: a post not saved yet), as a queryset."""
    found = Revision.objects.filter(kind=Revision.Kind.AUTOSAVE, user=user)
    return found.filter(post=post) if post is not None else found.filter(post__isnull=True)


def offer(user, post):
    """What the change form offers to bring back: the author's kept text when it differs
    from the post as it is (or from an empty form), else None."""
    revision = kept(user, post).first()
    if revision is None:
        return None
    values = revision.values()
    if post is not None:
        now = revisions.snapshot(post, list(post.tags.names()))
        if not any(
            revisions.comparable(values[name]) != revisions.comparable(now[name])
            for name in ("title", "slug", "summary", "body", "tags", "category_id")
        ):
            return None
    elif not (values["body"] or values["title"]):
        return None
    return {
        "title": values["title"],
        "slug": values["slug"],
        "summary": values["summary"],
        "body": values["body"],
        "tags": edit_string_for_tags_names(values["tags"]),
        "category": values["category_id"] or "",
        "shown": shown(revision),
    }


def edit_string_for_tags_names(names):
    """The tags field's text for these names, as taggit's widget writes it (it reads tags as
    objects with a name)."""
    return edit_string_for_tags([SimpleNamespace(name=name) for name in names])


def shown(revision):
    return date_format(timezone.localtime(revision.created_at), "DATETIME_FORMAT")
