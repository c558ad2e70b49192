"""Images in the admin: the list of every kept image (where it is used, its alt text), and
the upload the writing room sends a chosen, dropped or pasted file to (blog.images)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import HttpResponseNotAllowed
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import ratelimit
from ..images.checks import MAX_IMAGE_BYTES, ImageRefused
from ..images.storing import alt_given, delete_files, store
from ..models import Image, Post
from ..preview import no_store_json

# An author pastes a few screenshots a minute; a script pastes thousands.
UPLOADS_PER_MINUTE = 30


def markdown_for(image, alt=""):
    """The Markdown the editor inserts for an image: `![alt](address)`."""
    alt = (alt or image.alt).replace("]", "\\]").replace("\n", " ")
    return f"![{alt}]({image.url})"


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("thumbnail", "original_name", "dimensions", "file_size", "alt", "used_by")
    list_display_links = ("thumbnail", "original_name")
    search_fields = ("original_name", "alt", "file")
    list_filter = ("kind",)
    fields = ("thumbnail", "file", "original_name", "alt", "dimensions", "file_size", "used_by")
    readonly_fields = ("thumbnail", "file", "original_name", "dimensions", "file_size", "used_by")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(use_count=Count("uses"))
        return queryset.prefetch_related(Prefetch("posts", Post.objects.only("pk", "title")))

    def has_add_permission(self, request):
        # Images come in through a post's editor (choose, drop or paste) or an import: an
        # image belongs with the text that shows it.
        return False

    def get_urls(self):
        upload = path(
            "upload/", self.admin_site.admin_view(self.upload_view), name="blog_image_upload"
        )
        return [upload, *super().get_urls()]

    @admin.display(description=gettext_lazy("image"))
    def thumbnail(self, image):
        smallest = min(image.renditions, key=lambda r: r["width"], default=None)
        url = image.file.storage.url(smallest["name"]) if smallest else image.url
        return format_html('<img src="{}" alt="" width="96" loading="lazy">', url)

    @admin.display(description=gettext_lazy("size"))
    def dimensions(self, image):
        return f"{image.width} × {image.height}" if image.width else "—"

    @admin.display(description=gettext_lazy("bytes"), ordering="size")
    def file_size(self, image):
        return filesizeformat(image.size)

    @admin.display(description=gettext_lazy("used by"), ordering="use_count")
    def used_by(self, image):
        posts = list(image.posts.all())
        if not posts:
            return _("No post")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:blog_post_change", args=[post.pk]), post.title) for post in posts),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "alt" in form.changed_data:
            alt_given(obj)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            transaction.on_commit(lambda: delete_files(obj))

    def delete_queryset(self, request, queryset):
        images = list(queryset)
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            transaction.on_commit(lambda: [delete_files(image) for image in images])

    def upload_view(self, request):
        """POST `file` (and `alt`) → JSON {markdown, url, width, height, …} or {error}."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("blog.add_image"):
            raise PermissionDenied
        upload = request.FILES.get("file")
        if upload is None:
            return no_store_json({"error": _("No file came with the upload.")}, 400)
        if wait := ratelimit.wait(request.user, "upload", UPLOADS_PER_MINUTE):
            answer = no_store_json(
                {"error": _("Too many uploads; the next in %(s)s s.") % {"s": wait}}
            )
            answer.status_code = 429
            answer["Retry-After"] = str(wait)
            return answer
        alt = request.POST.get("alt", "").strip()
        try:
            if upload.size > MAX_IMAGE_BYTES:  # refused before it is read
                raise ImageRefused(
                    _("%(name)s is %(size)s; an image may be at most %(limit)s.")
                    % {
                        "name": upload.name,
                        "size": filesizeformat(upload.size),
                        "limit": filesizeformat(MAX_IMAGE_BYTES),
                    }
                )
            image, created = store(upload.read(), upload.name, alt=alt, user=request.user)
        except ImageRefused as refused:
            return no_store_json({"error": str(refused)}, 400)
        return no_store_json(
            {
                "id": image.pk,
                "url": image.url,
                "markdown": markdown_for(image, alt),
                "width": image.width,
                "height": image.height,
                "created": created,
                "removed": getattr(image, "removed", []),
            },
            201 if created else 200,
        )
