from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse
from taggit.models import Tag

from .models import Category, Post


class HomeSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["blog:index", "blog:archive"]

    def location(self, item):
        return reverse(item)


class PostSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Post.objects.published().only("slug", "updated_at").order_by("-published_at")

    def lastmod(self, post):
        return post.updated_at


class CategorySitemap(Sitemap):
    """Categories with at least one published post; their time is their newest post's."""

    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return (
            Category.objects.filter(posts__in=Post.objects.published())
            .annotate(lastmod=Max("posts__updated_at"))
            .order_by("name")
        )

    def lastmod(self, category):
        return category.lastmod


class TagSitemap(CategorySitemap):
    def items(self):
        return (
            Tag.objects.filter(post__in=Post.objects.published())
            .annotate(lastmod=Max("post__updated_at"))
            .order_by("name")
        )

    def location(self, tag):
        return reverse("blog:tag", kwargs={"slug": tag.slug})


sitemaps = {
    "home": HomeSitemap,
    "posts": PostSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
}
