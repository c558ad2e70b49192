from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from .models import Post


class ContentAtom1Feed(Atom1Feed):
    """Atom with the whole article in <content>; Django's own writes only <summary>."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


class LatestPostsRss(Feed):
    feed_type = Rss201rev2Feed

    def __call__(self, request, *args, **kwargs):
        self.domain = request.get_host().split(":")[0]
        return super().__call__(request, *args, **kwargs)

    def title(self):
        return settings.BLOG["TITLE"]

    def description(self):
        return settings.BLOG["TAGLINE"]

    def link(self):
        return reverse("blog:index")

    def feed_url(self):
        return reverse("blog:feed_rss")

    def items(self):
        return (
            Post.objects.published()
            .select_related("category", "author")
            .prefetch_related("tags")[: settings.BLOG["FEED_ITEMS"]]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.body_html

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        if item.author:
            return item.author.get_full_name() or item.author.get_username()
        return None

    def item_categories(self, item):
        return [item.category.name, *(tag.name for tag in item.tags.all())]

    def item_guid(self, item):
        # A tag URI (RFC 4151) from the post's id and publication date: it survives a change
        # of title or slug, so feed readers never show an edited post twice.
        return f"tag:{self.domain},{item.published_at:%Y-%m-%d}:post-{item.pk}"

    item_guid_is_permalink = False


class LatestPostsAtom(LatestPostsRss):
    feed_type = ContentAtom1Feed
    subtitle = LatestPostsRss.description

    def feed_url(self):
        return reverse("blog:feed_atom")

    def item_description(self, item):
        return item.excerpt

    def item_extra_kwargs(self, item):
        return {"content": item.body_html}
