"""Every public page and feed in at most four queries, for a few posts as for many, and none
at all once the page cache has it (issue 12).

Each page is asked for right after a change, so nothing kept under the site's freshness
(counts, the navigation, archive months) is there yet: the worst a reader can meet. The
generation and the schedule are read by the writer when it commits (blog.freshness). What a
process learns once for its lifetime (content types, whether SQLite has the full-text table)
is learned by a first round of requests, as a worker's first requests would."""

from itertools import count

import pytest
from django.core.cache import cache
from django.utils import timezone

from blog import publishing
from blog.models import Post

BUDGET = 4
_changes = count()


def change_something(category):
    """A committed change (a draft is written), so every kept list value is cold."""
    publishing.create_post(
        title=f"草稿 {next(_changes)}", body="草稿。", category=category, status=Post.Status.DRAFT
    )


def public_addresses():
    post = Post.objects.published().filter(tags__name="PyTorch").order_by("published_at").first()
    pages = (Post.objects.published().count() + 9) // 10
    now = timezone.localtime()
    return [
        "/",
        "/?page=2",
        f"/?page={pages}",  # the deepest
        post.get_absolute_url(),
        post.category.get_absolute_url(),
        f"/category/{post.category.slug}/?page={pages}",
        "/tag/pytorch/",
        f"/archive/{now.year}/{now.month}/",
        "/archive/",
        "/search/?q=%E6%AD%A3%E6%96%87",
        "/search/?q=%E6%AD%A3%E6%96%87&page=2",
        "/feed/",
        "/feed/atom/",
        "/feed/json/",
        f"/category/{post.category.slug}/feed/",
        "/tag/pytorch/feed/atom/",
        "/sitemap.xml",
        "/sitemap-lists.xml",
        "/sitemap-posts-1.xml",
        "/robots.txt",
    ]


@pytest.fixture(params=[12, 400], ids=["12 posts", "400 posts"])
def site(request, many_posts, category, client):
    many_posts(request.param)
    for url in public_addresses():
        assert client.get(url).status_code == 200, url
    return category


def test_every_public_page_runs_at_most_four_queries_uncached(
    client, site, django_assert_max_num_queries
):
    for url in public_addresses():
        change_something(site)
        with django_assert_max_num_queries(BUDGET):
            response = client.get(url)
        assert response.status_code == 200, url


def test_the_same_page_again_runs_no_query(client, site, django_assert_num_queries):
    for url in public_addresses():
        change_something(site)
        first = client.get(url)
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.status_code == 200 and again.content == first.content, url
        with django_assert_num_queries(0):
            revalidated = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert revalidated.status_code == 304 and revalidated.content == b"", url


def test_with_the_page_cache_off_pages_stay_within_the_budget(
    client, site, settings, django_assert_max_num_queries
):
    settings.BLOG = {**settings.BLOG, "PAGE_CACHE": False}
    for url in public_addresses():
        change_something(site)
        with django_assert_max_num_queries(BUDGET):
            assert client.get(url).status_code == 200, url
        with django_assert_max_num_queries(BUDGET):
            assert client.get(url).status_code == 200, url


def test_a_cache_emptied_by_hand_costs_the_freshness_reads_once(
    client, site, django_assert_max_num_queries
):
    """After a flush the generation and the schedule are read again (3 queries), once."""
    cache.clear()
    with django_assert_max_num_queries(BUDGET + 3):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(BUDGET):
        assert client.get("/?page=2").status_code == 200
