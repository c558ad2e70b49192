import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .importing import Importer
from .importing.frontmatter import ImportProblem
from .importing.uploads import unpack_upload
from .models import Category, Post

admin.site.site_header = _("Blog authoring")
admin.site.site_title = _("Blog authoring")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "post_count")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}

    @admin.display(description=_("posts"))
    def post_count(self, category):
        return category.posts.count()


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


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    change_list_template = "admin/blog/post/change_list.html"
    list_display = ("title", "category", "state", "published_at", "tag_list")
    list_filter = ("status", "category", "tags")
    list_select_related = ("category",)
    search_fields = ("title",)
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("updated_at", "reading_minutes", "formula_problems")
    actions = ("publish", "unpublish")
    fieldsets = (
        (None, {"fields": ("title", "slug", "category", "tags", "body", "formula_problems")}),
        (_("Publication"), {"fields": ("status", "published_at", "author", "summary")}),
        (_("Stored"), {"fields": ("reading_minutes", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def get_urls(self):
        upload = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name="blog_post_import",
        )
        return [upload, *super().get_urls()]

    def import_view(self, request):
        """The import_markdown command for authors: upload, import, read the report."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        report, problem = None, None
        form = MarkdownUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            with tempfile.TemporaryDirectory(prefix="blog-import-") as folder:
                try:
                    paths = unpack_upload(form.cleaned_data["upload"], Path(folder))
                except ImportProblem as exc:
                    problem = str(exc)
                else:
                    report = Importer(dry_run=form.cleaned_data["dry_run"]).run(paths)
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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for warning in obj.render_warnings:
            self.message_user(
                request,
                _("Formula shown as TeX source: %(warning)s") % {"warning": warning},
                messages.WARNING,
            )

    @admin.display(description=_("formula problems"))
    def formula_problems(self, post):
        if not post.render_warnings:
            return _("None")
        return format_html_join(
            "\n", '<p class="errornote">{}</p>', ((w,) for w in post.render_warnings)
        )

    @admin.display(description=_("state"), ordering="status")
    def state(self, post):
        if post.is_scheduled:
            return _("Scheduled")
        return post.get_status_display()

    @admin.display(description=_("tags"))
    def tag_list(self, post):
        return ", ".join(tag.name for tag in post.tags.all())

    @admin.action(description=_("Publish selected posts (drafts appear now)"))
    def publish(self, request, queryset):
        now = timezone.now()
        # A draft whose time already passed goes out now, not back-dated; a future time is
        # kept, so a post can be scheduled from the list.
        drafts_in_past = queryset.filter(status=Post.Status.DRAFT, published_at__lte=now)
        dated_now = drafts_in_past.update(
            status=Post.Status.PUBLISHED,
            published_at=now,
            first_published_at=Coalesce("first_published_at", now),
            updated_at=now,
        )
        rest = queryset.filter(~Q(status=Post.Status.PUBLISHED)).update(
            status=Post.Status.PUBLISHED,
            first_published_at=Coalesce("first_published_at", "published_at"),
            updated_at=now,
        )
        self.message_user(
            request,
            _("Published %(count)d post(s).") % {"count": dated_now + rest},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish selected posts (back to draft)"))
    def unpublish(self, request, queryset):
        count = queryset.filter(status=Post.Status.PUBLISHED).update(
            status=Post.Status.DRAFT, updated_at=timezone.now()
        )
        self.message_user(
            request, _("Unpublished %(count)d post(s).") % {"count": count}, messages.SUCCESS
        )
