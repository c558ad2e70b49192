"""A post's history: what it was after each save (blog.publishing makes a revision each time
it writes a change to a post), what changed between any two, and what is kept.

A revision is the whole post as the author wrote it (title, address, category, tags, status,
time, summary, Markdown), not a diff against the one before: any revision is read, compared
or restored alone, and pruning one never breaks another. The Markdown is kept compressed
(a technical article shrinks to a third or less), and lists of revisions never read it.

Kept: every revision of the last BLOG["REVISIONS_KEEP_DAYS"] days; before that, the last one
of each day; and always the newest, the pending draft and those not yet published (an edit
conflict's text).
"""

import difflib
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Revision

# What a revision holds besides the Markdown, as the post's attribute names.
FIELDS = ("title", "slug", "summary", "category_id", "status", "published_at", "author_id")
# The names of the fields in a summary of changes, in the order a reader expects them.
LABELS = {
    "title": gettext_lazy("title"),
    "slug": gettext_lazy("address"),
    "category_id": gettext_lazy("category"),
    "tags": gettext_lazy("tags"),
    "status": gettext_lazy("status"),
    "published_at": gettext_lazy("publication time"),
    "author_id": gettext_lazy("author"),
    "summary": gettext_lazy("summary"),
    "body": gettext_lazy("body"),
}


def snapshot(post, tags):
    """The values a revision keeps of `post` (as it is in memory) with these tag names."""
    values = {name: getattr(post, name) for name in FIELDS}
    values["tags"] = sorted(tags, key=str.lower)
    values["body"] = post.body
    return values


def changes_between(before, after):
    """{"fields": [changed field names], "added": n, "removed": n} between two snapshots
    (dicts of snapshot() or Revision.values()); `before` None for a new post."""
    if before is None:
        return {"fields": [], "added": after["body"].count("\n") + 1, "removed": 0, "new": True}
    fields = [
        name
        for name in LABELS
        if name != "body" and comparable(before.get(name)) != comparable(after.get(name))
    ]
    added = removed = 0
    if before["body"] != after["body"]:
        fields.append("body")
        for tag, i1, i2, j1, j2 in _opcodes(before["body"], after["body"]):
            if tag != "equal":
                removed += i2 - i1
                added += j2 - j1
    return {"fields": fields, "added": added, "removed": removed}


def comparable(value):
    if isinstance(value, list):
        return [str(v).lower() for v in value]
    return value


def _opcodes(a, b):
    return difflib.SequenceMatcher(None, a.split("\n"), b.split("\n"), autojunk=False).get_opcodes()


def describe(changes):
    """The short summary of a revision's changes, in the active language."""
    if not changes:
        return ""
    if changes.get("new"):
        return _("created")
    if changes.get("restored"):
        text = _("restored revision %(number)s") % {"number": changes["restored"]}
    else:
        text = ""
    parts = []
    for name in changes.get("fields", ()):
        label = str(LABELS.get(name, name))
        if name == "body":
            label = _("%(label)s (+%(added)s −%(removed)s lines)") % {
                "label": label,
                "added": changes.get("added", 0),
                "removed": changes.get("removed", 0),
            }
        parts.append(label)
    listed = _(", ").join(parts)
    if text and listed:
        return f"{text}: {listed}"
    return text or listed or _("no change to the text")


def record(post, tags, *, user=None, kind=Revision.Kind.SAVED, before=None, extra=None):
    """A new revision of `post` as it is now (after a save). `before` is the snapshot of
    the post as it was (None for a new post); the summary says what changed since."""
    return _new(post, snapshot(post, tags), before, user, kind, extra)


def keep_refused(post, values, against, *, user=None):
    """What an author sent in a save refused as an edit conflict (`values`, a snapshot), kept
    as a revision that was never published: their text is not thrown away. Its summary
    says how it differs from the post it was refused against (`against`, the post as it
    is)."""
    return _new(post, values, against, user, Revision.Kind.CONFLICT, {"refused": True})


def _new(post, values, before, user, kind, extra):
    changes = changes_between(before, values)
    if extra:
        changes.update(extra)
    last = post.revisions.aggregate(last=Max("number"))["last"] or 0
    revision = Revision(post=post, number=last + 1, user=user, kind=kind, changes=changes)
    revision.set_values(values)
    revision.save()
    return revision


def latest_save(post):
    """The newest revision that changed the post (who saved it last, and when), or None."""
    kinds = (Revision.Kind.SAVED, Revision.Kind.DRAFT)
    return post.revisions.filter(kind__in=kinds).select_related("user").order_by("-number").first()


def baseline(post, values, tags):
    """The first revision of a post saved before revisions were kept: what it was, dated
    when it was last edited, so that the first edit made now can be undone."""
    if post.revisions.exists():
        return
    revision = Revision(
        post=post,
        number=1,
        user=None,
        kind=Revision.Kind.SAVED,
        changes={"fields": [], "baseline": True},
    )
    revision.set_values({**values, "tags": sorted(tags, key=str.lower)})
    revision.save()
    Revision.objects.filter(pk=revision.pk).update(created_at=values["updated_at"])


def prune(post, now=None):
    """Leaves out what is no longer kept (see the module's docstring). Reads only the
    revisions' numbers, kinds and times, never their text."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BLOG["REVISIONS_KEEP_DAYS"])
    rows = list(
        post.revisions.filter(created_at__lt=cutoff)
        .order_by("created_at", "number")
        .values_list("pk", "created_at", "kind")
    )
    if not rows:
        return 0
    newest = post.revisions.order_by("-number").values_list("pk", flat=True).first()
    kept_days = {}
    for pk, created_at, kind in rows:
        if kind == Revision.Kind.SAVED:
            kept_days[timezone.localdate(created_at)] = pk  # the last of its day wins
    keep = set(kept_days.values()) | {newest, post.pending_id}
    doomed = [
        pk
        for pk, _created, kind in rows
        if pk not in keep and kind in (Revision.Kind.SAVED, Revision.Kind.AUTOSAVE)
    ]
    if doomed:
        Revision.objects.filter(pk__in=doomed).delete()
    return len(doomed)


# Unchanged lines shown around each change; longer runs between changes are folded.
CONTEXT_LINES = 2


def line_diff(before, after):
    """Rows of a side-by-side diff of two Markdown texts: (kind, old line number, old text,
    new line number, new text), kind one of equal, delete, insert, replace; a run of equal
    lines longer than twice CONTEXT_LINES is folded into one ("skip", count, …) row."""
    a, b = before.split("\n"), after.split("\n")
    rows = []
    for tag, i1, i2, j1, j2 in _opcodes(before, after):
        if tag == "equal":
            pairs = [(i, j1 + i - i1) for i in range(i1, i2)]
            if len(pairs) > 2 * CONTEXT_LINES + 1:
                head, tail = pairs[:CONTEXT_LINES], pairs[-CONTEXT_LINES:]
                skipped = len(pairs) - 2 * CONTEXT_LINES
                pairs = [*head, None, *tail]
            for pair in pairs:
                if pair is None:
                    rows.append(("skip", skipped, "", None, ""))
                else:
                    rows.append(("equal", pair[0] + 1, a[pair[0]], pair[1] + 1, b[pair[1]]))
            continue
        for n in range(max(i2 - i1, j2 - j1)):
            i = i1 + n if i1 + n < i2 else None
            j = j1 + n if j1 + n < j2 else None
            kind = (
                "replace"
                if i is not None and j is not None
                else "delete"
                if j is None
                else "insert"
            )
            rows.append(_side(kind, a, i) + _side(None, b, j)[1:])
    return rows


def _side(kind, lines, index):
    if index is None:
        return (kind, None, "")
    return (kind, index + 1, lines[index])
