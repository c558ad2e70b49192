"""A post's revisions in the admin: the history page (every revision: who, when, what changed),
a diff between any two, and restoring one. Added to PostAdmin as a mixin; the rules of what a
revision is and keeps are blog.revisions'."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from .. import publishing, revisions
from ..models import Category, Post, Revision
from ..preview import number

# What the history page reads of each revision: never the text.
LISTED = ("pk", "number", "kind", "user__username", "created_at", "changes", "title", "status")
REVISION_NUMBER_MAX = 10**9


class RevisionsMixin:
    def revision_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/revisions/diff/",
                view(self.revision_diff_view),
                name="blog_post_revision_diff",
            ),
            path(
                "<int:object_id>/revisions/<int:number>/restore/",
                view(self.revision_restore_view),
                name="blog_post_revision_restore",
            ),
        ]

    def _post_for(self, request, object_id, *, change=True):
        post = self.get_object(request, str(object_id))  # None for an id no post could have
        if post is None:
            raise Http404
        allowed = self.has_change_permission if change else self.has_view_or_change_permission
        if not allowed(request, post):
            raise PermissionDenied
        return post

    def history_view(self, request, object_id, extra_context=None):
        """The admin's History page, with the post's revisions above the admin's own log."""
        post = self._post_for(request, object_id, change=False)
        rows = [
            {**row, "summary": revisions.describe(row["changes"])}
            for row in post.revisions.exclude(kind=Revision.Kind.AUTOSAVE)
            .order_by("-number")
            .values(*LISTED)
        ]
        context = {
            "revisions": rows,
            "may_change": self.has_change_permission(request, post),
            "diff_url": reverse("admin:blog_post_revision_diff", args=[post.pk]),
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, extra_context=context)

    def revision_diff_view(self, request, object_id):
        # A revision may hold text readers never saw: as a draft's preview, for those who
        # may change the post.
        post = self._post_for(request, object_id)
        numbers = []
        for name in ("a", "b"):
            value = request.GET.get(name, "")
            found = number(value)  # not str.isdigit, which takes "²"
            if found is None or found > REVISION_NUMBER_MAX:
                raise Http404
            numbers.append(found)
        found = {
            r.number: r
            for r in post.revisions.exclude(kind=Revision.Kind.AUTOSAVE).filter(number__in=numbers)
        }
        if any(n not in found for n in numbers):
            raise Http404
        older, newer = sorted((found[n] for n in set(numbers)), key=lambda r: r.number) * (
            2 if numbers[0] == numbers[1] else 1
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": post,
            "title": _("Changes between revisions %(a)s and %(b)s")
            % {"a": older.number, "b": newer.number},
            "older": older,
            "newer": newer,
            "fields": field_changes(older.values(), newer.values()),
            "rows": revisions.line_diff(older.body, newer.body),
            "may_restore": self.has_change_permission(request, post),
        }
        return TemplateResponse(request, "admin/blog/post/revision_diff.html", context)

    def revision_restore_view(self, request, object_id, number):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        post = self._post_for(request, object_id)
        revision = post.revisions.exclude(kind=Revision.Kind.AUTOSAVE).filter(number=number).first()
        if revision is None:
            raise Http404
        publishing.restore_revision(post, revision, user=request.user)
        self.message_user(
            request,
            _("Revision %(number)s restored; it is the post's newest revision now.")
            % {"number": number},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:blog_post_change", args=[post.pk]))


def field_changes(before, after):
    """[(label, old, new)] of the fields other than the Markdown that differ, as people read
    them (a category's name, not its id)."""
    names = {}
    ids = {v for v in (before.get("category_id"), after.get("category_id")) if v}
    if ids:
        names = dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    shown = []
    for name, label in revisions.LABELS.items():
        if name == "body":
            continue
        old, new = before.get(name), after.get(name)
        if revisions.comparable(old) == revisions.comparable(new):
            continue
        if name == "category_id":
            old, new = names.get(old, old), names.get(new, new)
        elif name == "tags":
            old, new = ", ".join(old or []), ", ".join(new or [])
        elif name == "status":
            old, new = _status(old), _status(new)
        shown.append((label, _shown(old), _shown(new)))
    return shown


def _shown(value):
    return "—" if value in (None, "") else value


def _status(value):
    return dict(Post.Status.choices).get(value, value)
