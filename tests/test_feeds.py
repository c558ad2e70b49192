import feedparser
import pytest

from blog.models import Post


@pytest.fixture
def feeds(client):
    def fetch(url):
        response = client.get(url)
        assert response.status_code == 200
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.bozo_exception
        return response, parsed

    return fetch


def test_rss_carries_published_posts_with_full_html(feeds, make_post):
    post = make_post(
        title="空洞卷积 & <感受野>", body="## 小节\n\n正文 **加粗**。", tags=["CNN", "卷积"]
    )
    response, feed = feeds("/feed/")
    assert response["Content-Type"].startswith("application/rss+xml")
    assert feed.version == "rss20"
    entry = feed.entries[0]
    assert entry.title == "空洞卷积 & <感受野>"
    assert entry.link == f"http://testserver{post.get_absolute_url()}"
    assert "<strong>加粗</strong>" in entry.description
    assert {t.term for t in entry.tags} == {"深度学习", "CNN", "卷积"}


def test_atom_carries_summary_and_full_content(feeds, make_post):
    make_post(body="正文第一段。\n\n```python\nprint(1)\n```\n", tags=["PyTorch"])
    response, feed = feeds("/feed/atom/")
    assert response["Content-Type"].startswith("application/atom+xml")
    assert feed.version == "atom10"
    entry = feed.entries[0]
    assert entry.summary == "正文第一段。 [代码]"
    assert '<code class="language-python"><span class="nb">print</span>' in entry.content[0].value
    assert {t.term for t in entry.tags} == {"深度学习", "PyTorch"}
    assert entry.published_parsed and entry.updated_parsed


@pytest.mark.parametrize("url", ["/feed/", "/feed/atom/"])
def test_entry_ids_survive_a_change_of_title_and_slug(feeds, make_post, url):
    post = make_post()
    _, before = feeds(url)
    post.title, post.slug = "改过的标题", "renamed"
    post.save()
    _, after = feeds(url)
    assert before.entries[0].id == after.entries[0].id
    assert after.entries[0].id.startswith("tag:testserver,")


@pytest.mark.parametrize("url", ["/feed/", "/feed/atom/"])
def test_feeds_never_show_drafts_or_scheduled_posts(feeds, visibility_grid, url):
    _, feed = feeds(url)
    assert [e.title for e in feed.entries] == ["已发布的文章"]


def test_feeds_hold_the_latest_twenty(feeds, many_posts):
    many_posts(30)
    _, feed = feeds("/feed/")
    assert len(feed.entries) == 20
    assert feed.entries[0].title == "批量文章 0"


def test_feed_queries_do_not_grow_with_posts(client, many_posts, django_assert_num_queries):
    many_posts(50)
    with django_assert_num_queries(2):  # posts with category and author, their tags
        client.get("/feed/")


def test_demo_feed_parses(feeds, demo):
    _, feed = feeds("/feed/atom/")
    published = Post.objects.published().count()
    assert len(feed.entries) == min(published, 20)
    assert all(entry.content[0].value for entry in feed.entries)
