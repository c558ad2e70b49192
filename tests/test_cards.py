"""List pages built from what each process keeps under the freshness token: the cards of
posts (blog.cards) and the lists' own values (blog.lists.kept: counts, page ids, tags,
categories). A change anywhere shows on the next build; what is kept stays bounded."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix
from taggit.models import Tag

from blog import cards, lists, publishing
from blog.models import Post
from blog.templatetags.blog_tags import post_card

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    settings.BLOG = {**settings.BLOG, "PAGE_CACHE": False}


def queries(client, url, **extra):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response, len(captured.captured_queries)


def test_a_list_built_again_reads_nothing_it_has_kept(client, many_posts, category):
    many_posts(25)
    for url in ("/", "/?page=2", category.get_absolute_url(), "/tag/pytorch/"):
        first, cold = queries(client, url)
        again, warm = queries(client, url)
        assert 0 < cold <= 4, url
        assert warm == 0, url  # cards, ids, count and navigation all kept
        assert again.content == first.content, url


def test_a_card_shows_a_change_on_the_next_build(client, make_post):
    post = make_post(title="Quasar notes", tags=["Lensing"])
    client.get("/")
    post.title = "Pulsar notes"
    publishing.save_post(post)
    page = client.get("/").content.decode()
    assert "Pulsar notes" in page and "Quasar notes" not in page


def test_a_renamed_tag_shows_on_every_card_that_carries_it(client, make_post):
    make_post(title="One", tags=["Lensing"])
    make_post(title="Two", tags=["Lensing"])
    assert client.get("/").content.decode().count("#Lensing") == 2
    tag = Tag.objects.get(name="Lensing")
    tag.name = "Refraction"
    publishing.save_tag(tag)
    page = client.get("/").content.decode()
    assert page.count("#Refraction") == 2 and "#Lensing" not in page


def test_cards_are_rendered_for_the_script_prefix_they_are_served_under(make_post):
    post = make_post(slug="prefixed")
    queryset = lists.cards(Post.objects.published())
    plain = cards.of([post.pk], queryset)[0]
    set_script_prefix("/blog/")
    try:
        under = cards.of([post.pk], queryset)[0]
    finally:
        set_script_prefix("/")
    assert 'href="/posts/prefixed/"' in plain
    assert 'href="/blog/posts/prefixed/"' in under
    assert cards.of([post.pk], queryset)[0] == plain


def test_a_card_is_the_one_post_card_renders(client, make_post):
    post = make_post(title="Cardinal", tags=["Lensing"])
    client.get("/")
    kept = cards._here._kept[1][post.pk]
    assert kept == post_card(lists.attach_tags([lists.cards(Post.objects).get()])[0])


def test_kept_cards_stay_within_their_limit(client, many_posts, monkeypatch):
    monkeypatch.setattr(cards, "_here", lists.Here(15))
    many_posts(40)
    for page in (1, 2, 3, 4):
        client.get("/", {"page": page})
        assert len(cards._here.names()) <= 15


def test_kept_values_start_afresh_with_a_new_token_and_stay_within_their_limit():
    here = lists.Here(3)
    for name in "abcd":
        here.put("t1", name, name.upper())
    assert here.get("t1", "a") is None  # the oldest went
    assert [here.get("t1", n) for n in "bcd"] == ["B", "C", "D"]
    here.put("t2", "e", "E")
    assert here.get("t1", "b") is None and here.get("t2", "b") is None
    assert here.get("t2", "e") == "E"


def test_a_made_up_tag_keeps_nothing(client):
    assert client.get("/tag/nothing-like-it/").status_code == 404
    assert all("tag:" not in name for name in lists._here.names())


def test_a_post_unpublished_meanwhile_is_left_out_of_its_page(make_post):
    kept = make_post(title="Kept")
    gone = make_post(title="Gone")
    queryset = lists.cards(Post.objects.published())
    assert [c for c in cards.of([gone.pk, kept.pk], queryset) if "Gone" in c]
    cards.clear()
    publishing.unpublish(Post.objects.filter(pk=gone.pk))
    shown = cards.of([gone.pk, kept.pk], queryset)
    assert len(shown) == 1 and "Kept" in shown[0]


def test_an_article_shows_a_neighbours_new_title_and_a_preview_is_never_kept(
    client, admin_client, make_post
):
    older = make_post(title="Older notes", slug="older", tags=["Lensing"])
    newer = make_post(title="Newer notes", slug="newer", tags=["Lensing"])
    page = client.get(newer.get_absolute_url()).content.decode()
    assert "Older notes" in page  # the previous post, and a related one
    older.title = "Renamed notes"
    publishing.save_post(older)
    page = client.get(newer.get_absolute_url()).content.decode()
    assert "Renamed notes" in page and "Older notes" not in page
    draft = make_post(title="Draft notes", slug="drafted", status=Post.Status.DRAFT)
    kept_articles = [key for key in cache._cache if ":lists:article:" in key]
    assert kept_articles  # the readers' article is kept (the test settings' local memory)
    preview = admin_client.get(draft.get_absolute_url())
    assert preview.status_code == 200 and "读者看不到" in preview.content.decode()
    # The preview wrote nothing under the generation it saw (the draft's save moved it on).
    assert not [key for key in cache._cache if f":lists:article:{draft.pk}:" in key]
