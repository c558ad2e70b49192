import re

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path

from blog.language import site_language_only
from blog.media import serve_media
from blog.readonly import read_only
from blog.sitemaps import sitemap_lists_view, sitemap_posts_view, sitemap_view
from blog.views import RobotsView

urlpatterns = [
    re_path(rf"^{re.escape(settings.BLOG['ADMIN_PATH'])}", admin.site.urls),
    # Public and read-only, as every address of blog.urls: GET and HEAD, 405 otherwise.
    path("sitemap.xml", read_only(sitemap_view), name="sitemap"),
    path("sitemap-lists.xml", read_only(sitemap_lists_view), name="sitemap_lists"),
    path("sitemap-posts-<int:number>.xml", read_only(sitemap_posts_view), name="sitemap_posts"),
    path(
        "robots.txt",
        site_language_only(
            read_only(RobotsView.as_view(template_name="robots.txt", content_type="text/plain"))
        ),
        name="robots",
    ),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin's).
    path(
        "favicon.ico",
        read_only(lambda request: HttpResponsePermanentRedirect(static("favicon.svg"))),
    ),
    path("", include("blog.urls")),
]

if settings.BLOG["SERVE_MEDIA"]:
    # Uploaded and imported images, served by Django itself: enough for one machine. With a
    # proxy or object storage in front of /media/, set BLOG_SERVE_MEDIA=0.
    urlpatterns.insert(
        0,
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$",
            serve_media,
        ),
    )
