from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Post


class HomeSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["blog:index"]

    def location(self, item):
        return reverse(item)


class PostSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Post.objects.published().only("slug", "updated_at").order_by("-published_at")

    def lastmod(self, post):
        return post.updated_at


sitemaps = {"home": HomeSitemap, "posts": PostSitemap}
