"""Changes to a live post as a draft, in the post form (blog.publishing.drafts): *Save as
draft* keeps readers on the published version; the form then opens on the draft, says so,
and offers to publish the changes (the ordinary save), to discard them, or to share a
preview link that expires."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from .. import autosave, permissions, publishing
from ..models import Post, PreviewLink

SAVE_DRAFT, DISCARD_DRAFT, SUBMIT = "_save_draft", "_discard_draft", "_submit_review"


class DraftsMixin:
    def draft_urls(self):
        return [
            path(
                "<int:object_id>/preview-link/",
                self.admin_site.admin_view(self.preview_link_view),
                name="blog_post_preview_link",
            )
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id and DISCARD_DRAFT in request.POST:
            post = self._changeable(request, object_id)
            publishing.discard_draft(post)
            self.message_user(
                request, _("The draft is discarded; it stays in the history."), messages.SUCCESS
            )
            return HttpResponseRedirect(request.path)
        # Opened, the form shows the pending draft; sent, it carries what the author wrote.
        request.editing_draft = request.method == "GET"
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_object(self, request, object_id, from_field=None):
        post = super().get_object(request, object_id, from_field)
        if post is not None and post.pending_id and getattr(request, "editing_draft", False):
            values = post.pending.values()
            for name in ("title", "slug", "summary", "body", "category_id"):
                setattr(post, name, values[name])
            post.draft_tags = autosave.edit_string_for_tags_names(values["tags"])
            publishing.apply_series(post, post.pending)
            post.draft_shown = post.pending
        return post

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        live = obj is not None and Post.objects.filter(pk=obj.pk, status="published").exists()
        context["offers_draft"] = live and self.has_change_permission(request, obj)
        context["draft_shown"] = getattr(obj, "draft_shown", None)
        # An author who may not publish hands a draft to the editors instead.
        context["offers_review"] = not permissions.may_publish(request.user) and (
            obj is None or (not live and self.has_change_permission(request, obj))
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def keep_as_draft(self, request, obj, form, change):
        """Called first by save_model: True when the save was *Save as draft* (done here).
        *Submit for review* marks an author's draft for the editors."""
        may_publish = permissions.may_publish(request.user)
        if SUBMIT in request.POST and not may_publish and obj.status != Post.Status.PUBLISHED:
            obj.status = Post.Status.REVIEW
            request.submitted = True
        if not (change and SAVE_DRAFT in request.POST):
            if obj.pending_id:
                obj.pending = None  # published: the draft is what went live
            return False
        if not Post.objects.filter(pk=obj.pk, status=Post.Status.PUBLISHED).exists():
            return False  # a draft is a draft already: saved as usual
        publishing.save_draft(obj, form.cleaned_data.get("tags"), user=request.user)
        autosave.kept(request.user, obj).delete()
        request.saved_draft = True
        return True

    def response_change(self, request, obj):
        if getattr(request, "saved_draft", False):
            self.message_user(
                request,
                _(
                    "Draft saved. Readers still see the published version; publish the "
                    "changes when they are ready."
                ),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.path)
        if getattr(request, "submitted", False):
            self.message_user(
                request, _("Submitted for review: an editor publishes it."), messages.SUCCESS
            )
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "submitted", False):
            self.message_user(
                request, _("Submitted for review: an editor publishes it."), messages.SUCCESS
            )
        return super().response_add(request, obj, post_url_continue)

    def preview_link_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        post = self._changeable(request, object_id)
        link = PreviewLink.make(post, request.user)
        url = request.build_absolute_uri(reverse("blog:shared_preview", args=[link.token]))
        self.message_user(
            request,
            _("Preview link, for anyone who has it, until %(until)s: %(url)s")
            % {"until": link.expires_at.strftime("%Y-%m-%d %H:%M"), "url": url},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:blog_post_change", args=[post.pk]))

    def _changeable(self, request, object_id):
        post = super().get_object(request, str(object_id))
        if post is None:
            raise Http404
        if not self.has_change_permission(request, post):
            raise PermissionDenied
        return post
