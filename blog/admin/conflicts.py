"""Edit conflicts in the post form. The form carries the version of the post it was opened on
(Post.version, which every stored change moves on); a save sent from an older version is
refused, naming who saved since and when, with a diff of their version and the one sent.
Nothing the author wrote is lost: it stays in the form, and is kept as a revision that was
never published (blog.revisions.keep_refused). Saving the form again, having seen the diff,
replaces their version.

The post's row is locked while the form is checked, so of two saves sent at the same moment
from the same version one waits for the other and is then refused (the admin saves inside
the transaction that checked)."""

from django import forms
from django.db import transaction
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from .. import revisions
from ..models import Post, Series
from ..publishing import stored_body
from .revisions import field_changes

# What the form may send; anything it does not hold stays as the post has it.
SENT_FIELDS = ("title", "slug", "summary", "body", "status", "published_at")


class ConflictCheckedForm(forms.ModelForm):
    # Named apart from Post.version, which no form may set.
    opened_version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    user = None  # who is saving (the admin's get_form sets it)
    conflict = None  # what the change form shows of a refused save

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version
        draft_tags = getattr(self.instance, "draft_tags", None)
        if draft_tags is not None and not self.is_bound and "tags" in self.fields:
            self.initial["tags"] = draft_tags  # the form opens on a live post's draft

    def check_conflict(self, cleaned):
        """Raises a ValidationError when the post changed since the form was opened and the
        form sends something else than what it is now."""
        sent = cleaned.get("opened_version")
        if not self.instance.pk or sent is None:
            return  # a new post, or a form from before versions: nothing to compare
        posts = Post.objects.all()
        if transaction.get_connection().in_atomic_block:
            posts = posts.select_for_update()
        current = posts.filter(pk=self.instance.pk).first()
        if current is None or current.version == sent:
            return
        theirs = revisions.snapshot(current, list(current.tags.names()))
        mine = self._sent(cleaned, theirs)
        series_now = (current.series_id, current.series_position)
        series_sent = series_now
        if "series" in cleaned:
            chosen = cleaned.get("series")
            series_sent = (chosen.pk if chosen else None, cleaned.get("series_position"))
        same = not revisions.changes_between(theirs, mine)["fields"] and series_sent == series_now
        if same:
            return  # the same as what is there now: nothing of anyone's is lost
        kept = revisions.keep_refused(current, mine, theirs, user=self.user)
        saved = revisions.latest_save(current)
        self.conflict = {
            "kept": kept,
            "saved": saved,
            "fields": field_changes(theirs, mine) + _series_change(series_now, series_sent),
            "rows": revisions.line_diff(theirs["body"], mine["body"]),
        }
        # Sent again, the form replaces their version: the author has seen it.
        data = self.data.copy()
        data["opened_version"] = current.version
        self.data = data
        raise forms.ValidationError(self._message(saved, kept), code="edit_conflict")

    def _sent(self, cleaned, theirs):
        values = dict(theirs)
        for name in SENT_FIELDS:
            if name in cleaned and cleaned[name] is not None:
                values[name] = cleaned[name]
        values["body"] = stored_body(values["body"])  # as a save stores it
        if cleaned.get("category") is not None:
            values["category_id"] = cleaned["category"].pk
        if cleaned.get("author") is not None:
            values["author_id"] = cleaned["author"].pk
        if "tags" in cleaned:
            values["tags"] = sorted(cleaned["tags"] or [], key=str.lower)
        return values

    @staticmethod
    def _message(saved, kept):
        when = date_format(localtime(saved.created_at), "DATETIME_FORMAT") if saved else ""
        who = (saved.user.get_username() if saved and saved.user else "") or _("someone")
        return _(
            "%(who)s saved this post at %(when)s, after you opened it, so your save was not "
            "made. Nothing you wrote is lost: it is still in the form, and kept as revision "
            "%(number)s (not published). Their version and yours are compared below; save "
            "again to replace theirs with yours."
        ) % {"who": who, "when": when, "number": kept.number}


def _series_change(now, sent):
    """The fields table's row for the series and part, when they differ."""
    if now == sent:
        return []
    names = dict(Series.objects.filter(pk__in=[now[0], sent[0]]).values_list("pk", "name"))

    def shown(value):
        series, part = value
        if series is None:
            return "—"
        return f"{names.get(series, series)} · {part}" if part else names.get(series, series)

    return [(_("series"), shown(now), shown(sent))]
