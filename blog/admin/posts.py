import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import autosave, checks, permissions, preview, publishing
from ..importing import Importer
from ..importing.frontmatter import ImportProblem
from ..importing.uploads import unpack_upload
from ..models import Post, validate_tags
from ..rendering import LIMIT_WARNING_PREFIX, validate_article_size
from .conflicts import ConflictCheckedForm
from .drafts import DraftsMixin
from .revisions import RevisionsMixin
from .trash import MovesToTrash


class MarkdownUploadForm(forms.Form):
    upload = forms.FileField(
        label=_("Markdown file or zip"),
        help_text=_("A .md file, or a .zip of a Hexo, Hugo or Jekyll folder (images included)."),
    )
    dry_run = forms.BooleanField(
        required=False,
        label=_("Dry run"),
        help_text=_("Report what would change; write nothing."),
    )
    all_or_nothing = forms.BooleanField(
        required=False,
        label=_("All or nothing"),
        help_text=_("If any file cannot be imported, import none of them."),
    )


class PostChangeList(ChangeList):
    def get_filters(self, request):
        # The date hierarchy builds datetime(year, …) from the query string and catches only
        # ValueError: ?published_at__year=99999999999 (or December 9999) overflowed into a
        # 500. Any lookup the calendar cannot hold is a bad lookup, which the admin answers
        # by showing the list unfiltered with a note (?e=1).
        try:
            return super().get_filters(request)
        except OverflowError as error:
            raise IncorrectLookupParameters(error) from error


class HasProblemsFilter(admin.SimpleListFilter):
    title = _("checks")
    parameter_name = "problems"

    def lookups(self, request, model_admin):
        return (("yes", _("Has problems")), ("no", _("No problems")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(problem_count__gt=0)
        if self.value() == "no":
            return queryset.filter(problem_count=0)
        return queryset


class HasDraftFilter(admin.SimpleListFilter):
    title = _("unpublished changes")
    parameter_name = "draft"

    def lookups(self, request, model_admin):
        return (("yes", _("Has unpublished changes")),)

    def queryset(self, request, queryset):
        return queryset.filter(pending__isnull=False) if self.value() == "yes" else queryset


class PostForm(ConflictCheckedForm):
    publish_anyway = forms.BooleanField(
        required=False,
        label=_("Publish even with formulas that could not be converted"),
        help_text=_(
            "Readers see such a formula as its TeX source. Asked once, when the post is published."
        ),
    )

    def clean_slug(self):
        slug = self.cleaned_data.get("slug")
        trashed = Post.all_objects.filter(slug=slug, deleted_at__isnull=False)
        if slug and trashed.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _(
                    "A post in the trash has this address: restore it, or delete it for good "
                    "from the trash, first."
                ),  # fmt: skip
                code="slug_in_trash",
            )
        return slug

    def clean_tags(self):
        names = self.cleaned_data.get("tags") or []
        validate_tags(names)
        return names

    def clean(self):
        cleaned = super().clean()
        self.check_conflict(cleaned)
        body = cleaned.get("body")
        if body is None or self.has_error("body") or self._already_published():
            return cleaned
        try:  # the model's own check comes later, and rendering must not come first
            validate_article_size(body)
        except forms.ValidationError:
            return cleaned
        if cleaned.get("status") != Post.Status.PUBLISHED or cleaned.get("publish_anyway"):
            return cleaned
        # Rendered once here; saving uses this rendering (Post.render) instead of a second.
        post = self.instance
        post.body, post.summary = body, cleaned.get("summary", post.summary)
        post.render()
        failed = [p for p in post.problems if p[0] == "formula"]
        if failed:
            self.add_error(
                "publish_anyway",
                ngettext(
                    "%(count)d formula could not be converted (see the checks beside the "
                    "preview). Tick this box and save again to publish anyway.",
                    "%(count)d formulas could not be converted (see the checks beside the "
                    "preview). Tick this box and save again to publish anyway.",
                    len(failed),
                )
                % {"count": len(failed)},
            )
        return cleaned

    def _already_published(self):
        if not self.instance.pk:
            return False
        stored = Post.objects.filter(pk=self.instance.pk).values_list("status", flat=True).first()
        return stored == Post.Status.PUBLISHED


@admin.register(Post)
class PostAdmin(MovesToTrash, DraftsMixin, RevisionsMixin, admin.ModelAdmin):
    form = PostForm
    change_list_template = "admin/blog/post/change_list.html"
    list_display = ("title", "category", "state", "published_at", "tag_list", "check_count")
    list_filter = ("status", HasProblemsFilter, HasDraftFilter, "category", "tags")
    list_select_related = ("category",)
    search_fields = ("title",)
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("updated_at", "reading_minutes", "stored_problems")
    actions = ("publish", "unpublish", "trash_selected")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "category",
                    "tags",
                    "body",
                    "stored_problems",
                    "opened_version",
                )
            },
        ),
        (
            _("Publication"),
            {
                "fields": (
                    "status",
                    "published_at",
                    "publish_anyway",
                    "author",
                    "summary",
                    ("series", "series_position"),
                )
            },  # fmt: skip
        ),
        (_("Stored"), {"fields": ("reading_minutes", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def get_changelist(self, request, **kwargs):
        return PostChangeList

    def get_urls(self):
        upload = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name="blog_post_import",
        )
        live_preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="blog_post_preview",
        )
        kept_text = path(
            "autosave/",
            self.admin_site.admin_view(self.autosave_view),
            name="blog_post_autosave",
        )
        own = [upload, live_preview, kept_text, *self.draft_urls(), *self.revision_urls()]
        return [*own, *super().get_urls()]

    def preview_view(self, request):
        """The writing room's live preview (blog.preview): for those who may write posts."""
        return preview.preview(
            request,
            lambda r: self.has_add_permission(r) or self.has_change_permission(r),
        )

    def autosave_view(self, request):
        """What the author is typing, kept every few seconds (blog.autosave)."""
        return autosave.autosave(
            request,
            lambda r: self.has_add_permission(r) or self.has_change_permission(r),
            self.has_change_permission,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The text this author typed here and never saved, offered back (blog.autosave).
        post = self.get_object(request, object_id) if object_id else None
        offered = None
        if request.method == "GET" and (post is not None or object_id is None):
            offered = autosave.offer(request.user, post)
        context = {"autosave_offer": offered, **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, context)

    def import_view(self, request):
        """The import_markdown command for authors: upload, import, read the report."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        report, problem = None, None
        form = MarkdownUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            with tempfile.TemporaryDirectory(prefix="blog-import-") as folder:
                try:
                    unpacked = unpack_upload(form.cleaned_data["upload"], Path(folder))
                except ImportProblem as exc:
                    problem = str(exc)
                else:
                    report = Importer(
                        dry_run=form.cleaned_data["dry_run"],
                        user=request.user,
                        all_or_nothing=form.cleaned_data["all_or_nothing"],
                        confine=Path(folder),
                        seconds=settings.BLOG["IMPORT_SECONDS"],
                    ).run(unpacked.paths, refused=unpacked.refused)
                    for result in report.results:
                        result.path = str(Path(result.path).relative_to(folder))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import Markdown"),
            "form": form,
            "report": report,
            "problem": problem,
        }
        return TemplateResponse(request, "admin/blog/post/import.html", context)

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    # Who may do what is blog.permissions' rule; the admin only asks it. A post the user may
    # not change opens read-only, and the fields of a decision they may not take are shown,
    # not offered.
    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or permissions.may_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or permissions.may_delete(request.user, obj))

    def has_publish_permission(self, request):
        return permissions.may_publish(request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not permissions.may_publish(request.user):
            fields += ["status", "published_at"]
        if not permissions.may_change_others(request.user):
            fields.append("author")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # The hidden copy of the time the form was opened with tells whether the author set
        # the publication time on purpose (see publishing.save_post).
        if "published_at" in form.base_fields:  # read-only for those who may not publish
            form.base_fields["published_at"].show_hidden_initial = True
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        if self.keep_as_draft(request, obj, form, change):
            return
        if not change and not permissions.may_change_others(request.user):
            obj.author = request.user
        if not permissions.may_publish(request.user) and permissions.is_live(obj):
            # Read-only fields leave the stored values alone; this holds even for a form
            # that was tampered with or built elsewhere.
            raise PermissionDenied
        publishing.save_post(
            obj,
            tags=form.cleaned_data.get("tags", []),
            time_chosen="published_at" in form.changed_data,
            user=request.user,
        )
        autosave.kept(request.user, obj if change else None).delete()  # saved: nothing to offer
        for warning in obj.render_warnings:
            if warning.startswith(LIMIT_WARNING_PREFIX):  # a rendering limit, not a formula
                text = _("Rendering limit: %(warning)s")
                warning = warning.removeprefix(LIMIT_WARNING_PREFIX)
                self.message_user(request, text % {"warning": warning}, messages.WARNING)
        # The formulas' problems as the checks word them: with their line, in the site's
        # language (the rest of the checks are listed under the body).
        for row in obj.problems:
            if row[0] in ("formula", "tex_dropped"):
                message = checks.Problem.from_stored(row).message()
                self.message_user(request, message, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        # The tags were saved by save_model, through the write path; the form's own m2m
        # saving would set them a second time behind its back.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.display(description=_("checks when last saved"))
    def stored_problems(self, post):
        if not post.problems:
            return _("None")
        return format_html_join(
            "\n", '<p class="writing-check">{}</p>', ((m,) for m in checks.messages(post.problems))
        )

    @admin.display(description=_("checks"), ordering="problem_count")
    def check_count(self, post):
        if not post.problem_count:
            return "—"
        return format_html(
            '<span class="writing-check-count" title="{}">⚠ {}</span>',
            _("Problems found by the pre-publish checks when the post was last saved"),
            post.problem_count,
        )

    @admin.display(description=_("state"), ordering="status")
    def state(self, post):
        state = _("Scheduled") if post.is_scheduled else post.get_status_display()
        if post.pending_id:
            return format_html(
                '{} · <span class="writing-check-count">{}</span>', state, _("unpublished changes")
            )
        return state

    @admin.display(description=_("tags"))
    def tag_list(self, post):
        return ", ".join(tag.name for tag in post.tags.all())

    # Publishing is the editors' decision (blog.permissions): others do not get the actions.
    @admin.action(
        description=_("Publish selected posts (drafts appear now)"), permissions=["publish"]
    )
    def publish(self, request, queryset):
        # The same rule as the change form: now, unless a draft is dated in the future, in
        # which case it is scheduled for that time; and the same one question about drafts
        # whose formulas could not all be converted.
        broken = [
            post
            for post in Post.objects.filter(pk__in=queryset.values("pk"))
            .exclude(status=Post.Status.PUBLISHED)
            .only("pk", "title", "problems")
            if any(row[0] == "formula" for row in post.problems)
        ]
        if broken and "publish_anyway" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Publish posts with formulas that could not be converted?"),
                "broken": broken,
                "selected": queryset.values_list("pk", flat=True),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/blog/post/publish_anyway.html", context)
        count = publishing.publish(queryset, user=request.user)
        self.message_user(
            request, _("Published %(count)d post(s).") % {"count": count}, messages.SUCCESS
        )

    @admin.action(
        description=_("Unpublish selected posts (back to draft)"), permissions=["publish"]
    )
    def unpublish(self, request, queryset):
        count = publishing.unpublish(queryset, user=request.user)
        self.message_user(
            request, _("Unpublished %(count)d post(s).") % {"count": count}, messages.SUCCESS
        )
