"""The trash in the admin. Deleting a post moves it there (blog.publishing.trash_posts): gone
from the site at once, kept BLOG["TRASH_DAYS"] days with its history, restored in one click
from *Trash*, where it can also be deleted for good; `manage.py empty_trash` deletes what
is older."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import permissions, publishing
from ..models import TrashedPost


class MovesToTrash:
    """For PostAdmin: its delete (the button and the list's action) moves posts to the trash."""

    delete_confirmation_template = "admin/blog/post/trash_confirmation.html"

    def delete_view(self, request, object_id, extra_context=None):
        context = {"trash_days": settings.BLOG["TRASH_DAYS"], **(extra_context or {})}
        return super().delete_view(request, object_id, context)

    def get_deleted_objects(self, objs, request):
        # Nothing is deleted, so nothing goes with the post: the page lists the posts alone.
        posts = list(objs)
        return [str(post) for post in posts], {}, set(), []

    def delete_model(self, request, obj):
        publishing.trash_posts([obj])

    def delete_queryset(self, request, queryset):
        publishing.trash_posts(queryset)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(
            request,
            _("“%(title)s” is in the trash; restore it from there within %(days)s days.")
            % {"title": obj_display, "days": settings.BLOG["TRASH_DAYS"]},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:blog_post_changelist"))

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Replaced by trash_selected: nothing is deleted, so nothing needs confirming.
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Move selected posts to the trash"), permissions=["delete"])
    def trash_selected(self, request, queryset):
        posts = [post for post in queryset if permissions.may_delete(request.user, post)]
        count = publishing.trash_posts(posts)
        self.message_user(
            request,
            ngettext(
                "%(count)d post moved to the trash; restore it from there within %(days)s days.",
                "%(count)d posts moved to the trash; restore them from there within %(days)s days.",
                count,
            )
            % {"count": count, "days": settings.BLOG["TRASH_DAYS"]},
            messages.SUCCESS,
        )


@admin.register(TrashedPost)
class TrashedPostAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "status", "deleted_at", "deleted_for_good")
    list_select_related = ("category",)
    search_fields = ("title",)
    actions = ("restore", "delete_for_good")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("blog.delete_post")

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the action below, which asks blog.permissions per post

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("deleted for good on"))
    def deleted_for_good(self, post):
        return post.deleted_at + timedelta(days=settings.BLOG["TRASH_DAYS"])

    def _allowed(self, request, queryset):
        return [post for post in queryset if permissions.may_delete(request.user, post)]

    @admin.action(description=_("Restore selected posts"))
    def restore(self, request, queryset):
        count = publishing.restore_posts(self._allowed(request, queryset))
        self.message_user(
            request,
            ngettext(
                "%(count)d post restored, as it was.",
                "%(count)d posts restored, as they were.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Delete selected posts for good (with their history)"))
    def delete_for_good(self, request, queryset):
        count = publishing.delete_posts(self._allowed(request, queryset))
        self.message_user(
            request,
            ngettext("%(count)d post deleted for good.", "%(count)d posts deleted for good.", count)
            % {"count": count},
            messages.SUCCESS,
        )
