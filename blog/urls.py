from django.urls import path, register_converter

from . import views
from .converters import UnicodeSlugConverter
from .feeds import views as feeds
from .feeds.views import cached_feed

register_converter(UnicodeSlugConverter, "uslug")

app_name = "blog"

urlpatterns = [
    path("", views.PostListView.as_view(), name="index"),
    path("posts/<uslug:slug>/", views.PostDetailView.as_view(), name="post"),
    path("category/<uslug:slug>/", views.CategoryView.as_view(), name="category"),
    path("tag/<uslug:slug>/", views.TagView.as_view(), name="tag"),
    path("archive/", views.ArchiveIndexView.as_view(), name="archive"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("archive/<int:year>/<int:month>/", views.MonthView.as_view(), name="archive_month"),
    path("feed/", cached_feed(feeds.SiteRss()), name="feed_rss"),
    path("feed/atom/", cached_feed(feeds.SiteAtom()), name="feed_atom"),
    path("feed/json/", cached_feed(feeds.json_feed), name="feed_json"),
    path(
        "category/<uslug:slug>/feed/",
        cached_feed(feeds.CategoryRss()),
        name="category_feed_rss",
    ),
    path(
        "category/<uslug:slug>/feed/atom/",
        cached_feed(feeds.CategoryAtom()),
        name="category_feed_atom",
    ),
    path("tag/<uslug:slug>/feed/", cached_feed(feeds.TagRss()), name="tag_feed_rss"),
    path(
        "tag/<uslug:slug>/feed/atom/",
        cached_feed(feeds.TagAtom()),
        name="tag_feed_atom",
    ),
]
