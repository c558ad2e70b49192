"""The category and tag admins: their number of posts, and every save and delete through
the write path."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from taggit.models import Tag

from .. import publishing
from ..models import Category, Post, Series


class LabelAdmin(admin.ModelAdmin):
    """What the category and tag admins share: their number of posts, and every save and
    delete through the write path (`save_through`, `delete_through` name its functions)."""

    list_display = ("name", "slug", "post_count")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    posts_relation = ""
    save_through = delete_through = None

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(number_of_posts=Count(self.posts_relation))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # A name without a letter or digit (🔥, !!!) fills no slug as it is typed: left
        # empty, the write path makes one from the name, or from the id (models.fallback_slug).
        slug = form.base_fields.get("slug")
        if slug is None:  # read-only, for a user who may only view
            return form
        slug.required = False
        slug.help_text = _(
            "The address. Left empty, it is made from the name, or from the number of the "
            "entry when the name has no letter or digit."
        )
        return form

    @admin.display(description=_("posts"), ordering="number_of_posts")
    def post_count(self, label):
        return label.number_of_posts

    def save_model(self, request, obj, form, change):
        self.save_through(obj)

    def delete_model(self, request, obj):
        self.delete_through(self.model.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        self.delete_through(queryset)


class MovePostsForm(forms.Form):
    into = forms.ModelChoiceField(queryset=Category.objects.none(), label=_("Move its posts to"))

    def __init__(self, *args, leaving, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = Category.objects.exclude(pk=leaving.pk)


@admin.register(Category)
class CategoryAdmin(LabelAdmin):
    posts_relation = "posts"
    save_through = staticmethod(publishing.save_category)
    delete_through = staticmethod(publishing.delete_categories)

    def delete_view(self, request, object_id, extra_context=None):
        """A category that still has posts is deleted by moving them to another one first:
        the page asks which (posts in the trash move too, and the old address leads there)."""
        category = self.get_object(request, object_id)
        if category is None or not self.has_delete_permission(request, category):
            return super().delete_view(request, object_id, extra_context)
        count = Post.all_objects.filter(category=category).count()
        if not count:
            return super().delete_view(request, object_id, extra_context)
        if not self.has_change_permission(request) or not request.user.has_perm("blog.change_post"):
            raise PermissionDenied
        form = MovePostsForm(request.POST or None, leaving=category)
        if request.method == "POST" and form.is_valid():
            into = form.cleaned_data["into"]
            moved = publishing.delete_category_into(category, into)
            self.message_user(
                request,
                ngettext(
                    "%(count)d post moved to “%(into)s”; “%(name)s” is deleted.",
                    "%(count)d posts moved to “%(into)s”; “%(name)s” is deleted.",
                    moved,
                )
                % {"count": moved, "into": into.name, "name": category.name},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:blog_category_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": category,
            "title": _("Delete a category that has posts"),
            "form": form,
            "count": count,
        }
        return TemplateResponse(request, "admin/blog/category/move_posts.html", context)


@admin.register(Series)
class SeriesAdmin(LabelAdmin):
    posts_relation = "series_posts"
    save_through = staticmethod(publishing.save_series)
    delete_through = staticmethod(publishing.delete_series)


# taggit's own admin writes taggings directly (its inline, its "merge" action); ours goes
# through the write path, so a renamed, merged or deleted tag reaches feeds and search.
if admin.site.is_registered(Tag):
    admin.site.unregister(Tag)


class MergeTagsForm(forms.Form):
    into = forms.CharField(
        label=_("Merge into"),
        max_length=100,
        help_text=_("The name the posts will carry: one of the selected tags, or a new one."),
    )

    def clean_into(self):
        name = self.cleaned_data["into"].strip()
        if not slugify(name, allow_unicode=True):
            # Its address would be /tag//: every page that links to it would fail.
            raise forms.ValidationError(_("A tag name needs at least one letter or digit."))
        return name


@admin.register(Tag)
class TagAdmin(LabelAdmin):
    ordering = ("name",)
    actions = ("merge",)
    posts_relation = "taggit_taggeditem_items"
    save_through = staticmethod(publishing.save_tag)
    delete_through = staticmethod(publishing.delete_tags)

    @admin.action(description=_("Merge selected tags"), permissions=["change"])
    def merge(self, request, queryset):
        form = MergeTagsForm(request.POST if "into" in request.POST else None)
        if form.is_valid():
            into = form.cleaned_data["into"]
            count = queryset.exclude(name__iexact=into).count()
            target = publishing.merge_tags(queryset, into)
            self.message_user(
                request,
                _("Merged %(count)d tag(s) into %(name)s.") % {"count": count, "name": target.name},
                messages.SUCCESS,
            )
            return None
        if not form.is_bound:
            form = MergeTagsForm(initial={"into": queryset.order_by("name").first().name})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Merge tags"),
            "form": form,
            "tags": queryset.order_by("name"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/taggit/tag/merge.html", context)
