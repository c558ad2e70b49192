import email.utils
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import quote

import feedparser
import pytest
from django.core.cache import cache
from django.utils import timezone

from blog import freshness, publishing
from blog.models import Category, Post

ATOM = "{http://www.w3.org/2005/Atom}"
XHTML = "{http://www.w3.org/1999/xhtml}"
MATHML = "{http://www.w3.org/1998/Math/MathML}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
FEEDS = {
    "/feed/": "application/rss+xml; charset=utf-8",
    "/feed/atom/": "application/atom+xml; charset=utf-8",
    "/feed/json/": "application/feed+json; charset=utf-8",
    "/category/deep-learning/feed/": "application/rss+xml; charset=utf-8",
    "/category/deep-learning/feed/atom/": "application/atom+xml; charset=utf-8",
    f"/tag/{quote('集合 通信'.replace(' ', '-'))}/feed/": "application/rss+xml; charset=utf-8",
    f"/tag/{quote('集合-通信')}/feed/atom/": "application/atom+xml; charset=utf-8",
}


@pytest.fixture
def tricky_posts(make_post):
    """Posts that break careless feeds: CJK, markup characters, spaces in tags, no tags."""
    return [
        make_post(
            title="空洞卷积 & <感受野> “引号”",
            slug="tricky",
            body="## 小节\n\n正文 **加粗** $x_i^2$ 和 [脚注][^1]。\n\n[^1]: 说明\n\n"
            "![图](/static/demo/dilated-conv.svg){ width=640 height=320 }\n\n"
            "[内链](/posts/other/) [外链](https://example.org/a?b=1&c=2)\n\n"
            "```python\nprint('hi')\n```\n",
            tags=["集合 通信", "C++ & CUDA"],
            published_at=timezone.now() - timedelta(hours=2),
        ),
        make_post(title="没有标签的文章", slug="no-tags", tags=[]),
    ]


def fetch(client, url, **headers):
    return client.get(url, **headers)


def parse(response):
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


@pytest.mark.parametrize("url", FEEDS)
def test_every_feed_is_served_with_its_registered_type(client, tricky_posts, url):
    response = fetch(client, url)
    assert response.status_code == 200
    assert response["Content-Type"] == FEEDS[url]
    if url.endswith("/json/"):
        assert json.loads(response.content)["version"] == "https://jsonfeed.org/version/1.1"
    else:
        ET.fromstring(response.content)  # well-formed XML
        assert parse(response).entries


def test_rss_feed_follows_the_rss_profile(client, tricky_posts):
    root = ET.fromstring(fetch(client, "/feed/").content)
    channel = root.find("channel")
    assert channel.findtext("title") and channel.findtext("description")
    assert channel.findtext("link") == "http://testserver/"
    assert channel.findtext("language") == "zh-cn"
    self_link = channel.find(f"{ATOM}link")
    assert self_link.get("rel") == "self" and self_link.get("href") == "http://testserver/feed/"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["没有标签的文章", "空洞卷积 & <感受野> “引号”"]
    for item in items:
        assert item.findtext("link").startswith("http://testserver/posts/")
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false" and guid.text.startswith("tag:testserver,")
        assert email.utils.parsedate_to_datetime(item.findtext("pubDate"))
        assert item.findtext("description")
        assert item.findtext(f"{CONTENT}encoded")
        assert item.findtext("{http://purl.org/dc/elements/1.1/}creator")
    tricky = items[1]
    categories = [c.text for c in tricky.findall("category")]
    assert categories[0] == "深度学习"
    assert sorted(categories[1:]) == ["C++ & CUDA", "集合 通信"]


def test_atom_feed_follows_rfc_4287(client, tricky_posts):
    root = ET.fromstring(fetch(client, "/feed/atom/").content)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") and root.findtext(f"{ATOM}title")
    assert datetime.fromisoformat(root.findtext(f"{ATOM}updated"))
    assert root.find(f"{ATOM}author/{ATOM}name").text  # entries without an author inherit it
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"alternate": "http://testserver/", "self": "http://testserver/feed/atom/"}
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.findtext(f"{ATOM}id").startswith("tag:testserver,")
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}published"))
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/posts/")
        assert entry.find(f"{ATOM}summary").get("type") == "html"
        assert entry.find(f"{ATOM}summary").text
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "xhtml"
        assert [child.tag for child in content] == [f"{XHTML}div"]


def test_entries_carry_the_article_as_on_the_page(client, tricky_posts):
    entry = parse(fetch(client, "/feed/atom/")).entries[1]
    post = tricky_posts[0]
    assert entry.title == post.title
    assert entry.link == "http://testserver/posts/tricky/"
    assert entry.summary == post.excerpt
    content = entry.content[0].value
    assert "<math" in content and "<msubsup><mi>x</mi><mi>i</mi><mn>2</mn></msubsup>" in content
    assert '<span class="nb">print</span>' in content
    assert {t.term for t in entry.tags} == {"深度学习", "集合 通信", "C++ & CUDA"}
    assert entry.author == "深度笔记"  # no author on the post: the site's name


def test_relative_links_and_images_become_absolute(client, tricky_posts):
    content = parse(fetch(client, "/feed/")).entries[1].content[0].value
    assert 'src="http://testserver/static/demo/dilated-conv.svg"' in content
    assert 'href="http://testserver/posts/other/"' in content
    assert 'href="http://testserver/posts/tricky/#fn:1"' in content
    assert 'href="https://example.org/a?b=1&amp;c=2"' in content
    for attribute in ('href="/', 'src="/', 'href="#'):
        assert attribute not in content


def test_text_that_looks_like_an_attribute_stays_as_written(client, make_post):
    # Found by the XSS sweep: the rewriting ran over the text too, and made an article's
    # src="x/../../../y" an address, eating the path it was explaining.
    make_post(body='写 src="x/../../../y 然后 `code` 和 <b>粗</b> 结束"。')
    feed = json.loads(fetch(client, "/feed/json/").content)
    assert (
        'src="x/../../../y 然后 <code>code</code> 和 <b>粗</b>' in feed["items"][0]["content_html"]
    )


def test_json_feed_has_what_readers_need(client, tricky_posts):
    feed = json.loads(fetch(client, "/feed/json/").content)
    assert feed["feed_url"] == "http://testserver/feed/json/"
    assert feed["home_page_url"] == "http://testserver/"
    item = feed["items"][1]
    assert item["id"].startswith("tag:testserver,") and item["url"].startswith("http://")
    assert item["title"] == tricky_posts[0].title
    assert "<math" in item["content_html"] and item["summary"] == tricky_posts[0].excerpt
    assert item["image"] == "http://testserver/static/demo/dilated-conv.svg"
    assert datetime.fromisoformat(item["date_published"])
    assert "集合 通信" in item["tags"]


@pytest.mark.parametrize("url", ["/feed/", "/feed/atom/", "/feed/json/"])
def test_entry_ids_survive_a_change_of_title_slug_and_time(client, make_post, url):
    post = make_post()

    def first_id():
        response = fetch(client, url)
        if url.endswith("/json/"):
            return json.loads(response.content)["items"][0]["id"]
        return parse(response).entries[0].id

    before = first_id()
    post.title, post.slug = "改过的标题", "renamed"
    post.published_at -= timedelta(days=40)
    publishing.save_post(post)
    assert first_id() == before


def test_category_and_tag_feeds_hold_only_their_posts(client, make_post):
    other = publishing.save_category(Category(name="Python", slug="python"))
    make_post(title="卷积", tags=["CNN"])
    make_post(title="进程", category=other, tags=["并发"])
    category = parse(fetch(client, "/category/python/feed/"))
    assert [e.title for e in category.entries] == ["进程"]
    assert category.feed.title.endswith("Python")
    tag = parse(fetch(client, "/tag/cnn/feed/atom/"))
    assert [e.title for e in tag.entries] == ["卷积"]
    assert fetch(client, "/category/nope/feed/").status_code == 404
    assert fetch(client, "/tag/nope/feed/atom/").status_code == 404


@pytest.mark.parametrize("url", ["/feed/", "/feed/atom/", "/feed/json/", "/tag/cnn/feed/"])
def test_feeds_never_show_drafts_or_scheduled_posts(client, visibility_grid, url):
    for post in visibility_grid.values():
        publishing.save_post(post, tags=["CNN"])
    body = fetch(client, url).content.decode()
    assert "已发布的文章" in body
    for hidden in ("定时发布的文章", "草稿文章", "未来草稿"):
        assert hidden not in body


def test_feed_length_is_a_setting(client, many_posts, settings):
    many_posts(30)
    assert len(parse(fetch(client, "/feed/")).entries) == 20
    settings.BLOG = {**settings.BLOG, "FEED_ITEMS": 5}
    assert len(parse(fetch(client, "/feed/atom/")).entries) == 5


# --- What the W3C feed validator checks -----------------------------------------------------

# The elements and attributes the W3C feed validator accepts in escaped HTML without a
# warning (as far as our pipeline emits them); MathML is accepted only in Atom's XHTML.
HTML_OK = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "var",
}  # fmt: skip
HTML_ATTRIBUTES_OK = {
    "class", "id", "title", "href", "rel", "src", "alt", "width", "height", "loading",
    "decoding", "start", "type", "colspan", "rowspan", "scope", "lang", "dir",
}  # fmt: skip
FEED_MATHML_ATTRIBUTES_OK = {
    "display", "xmlns", "mathvariant", "stretchy", "fence", "columnalign", "columnspacing",
    "rowspacing", "displaystyle", "encoding", "width", "lspace", "rspace", "separator",
}  # fmt: skip


class _HtmlAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in HTML_OK:
            self.problems.append(f"element {tag}")
        for name, value in attrs:
            if name not in HTML_ATTRIBUTES_OK:
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src") and not re.match(r"[a-z][a-z0-9+.-]*:", value or ""):
                self.problems.append(f"relative {name}={value}")


def audit_html(html):
    audit = _HtmlAudit()
    audit.feed(html)
    return audit.problems


def test_rss_html_holds_nothing_the_validator_flags(client, demo, tricky_posts):
    root = ET.fromstring(fetch(client, "/feed/").content)
    for item in root.iter("item"):
        for element in (item.find("description"), item.find(f"{CONTENT}encoded")):
            assert audit_html(element.text) == [], item.findtext("link")
        encoded = item.findtext(f"{CONTENT}encoded")
        assert "<math" not in encoded


def test_rss_html_parses_strictly_as_the_validator_parses_it(client, demo, tricky_posts):
    """The W3C validator reads escaped HTML with html5lib in strict mode; any parse error
    is an "Invalid HTML" warning."""
    import html5lib

    root = ET.fromstring(fetch(client, "/feed/").content)
    for item in root.iter("item"):
        for element in (item.find("description"), item.find(f"{CONTENT}encoded")):
            html5lib.HTMLParser(strict=True).parseFragment(element.text)


def test_rss_carries_formulas_as_tex_between_delimiters(client, tricky_posts):
    root = ET.fromstring(fetch(client, "/feed/").content)
    encoded = root.find("channel/item[2]").findtext(f"{CONTENT}encoded")
    assert '<span class="math math-inline">\\(x_i^2\\)</span>' in encoded


def test_atom_carries_mathml_as_xhtml_with_accepted_attributes(client, demo):
    root = ET.fromstring(fetch(client, "/feed/atom/").content)
    formulas = 0
    for div in root.iter(f"{XHTML}div"):
        for math in div.iter(f"{MATHML}math"):
            formulas += 1
            for element in math.iter():
                assert element.tag.startswith(MATHML), element.tag
                assert set(element.attrib) <= FEED_MATHML_ATTRIBUTES_OK, element.attrib
    assert formulas > 100


def test_summaries_are_escaped_html_and_never_empty(client, make_post):
    make_post(title="比较", body="当 a < b & c > d 时")
    make_post(title="只有代码", slug="only-code", body="")
    root = ET.fromstring(fetch(client, "/feed/").content)
    descriptions = [item.findtext("description") for item in root.iter("item")]
    assert descriptions == ["只有代码", "当 a &lt; b &amp; c &gt; d 时"]
    entries = parse(fetch(client, "/feed/atom/")).entries
    assert entries[1].summary == "当 a &lt; b &amp; c &gt; d 时"  # HTML, shown as written


def test_markup_like_text_is_escaped_as_a_character_reference_in_rss(client, make_post):
    make_post(title="<感受野> 与 </b>")
    raw = fetch(client, "/feed/").content.decode()
    assert "<title>&#x3C;感受野&gt; 与 &#x3C;/b&gt;</title>" in raw
    assert parse(fetch(client, "/feed/")).entries[0].title == "<感受野> 与 </b>"


def test_control_characters_from_authors_do_not_break_feeds(client, make_post):
    make_post(title="坏\x0b字符\x1f", body="正文\x08里也有")
    for url in ("/feed/", "/feed/atom/"):
        response = fetch(client, url)
        assert response.status_code == 200
        assert "坏字符" in parse(response).entries[0].title


def test_posts_published_together_get_distinct_update_times(client, make_post, admin_client):
    drafts = [make_post(status=Post.Status.DRAFT) for _ in range(3)]
    admin_client.post(
        "/admin/blog/post/", {"action": "publish", "_selected_action": [p.pk for p in drafts]}
    )
    root = ET.fromstring(fetch(client, "/feed/atom/").content)
    updated = [entry.findtext(f"{ATOM}updated") for entry in root.iter(f"{ATOM}entry")]
    assert len(updated) == 3 and len(set(updated)) == 3


def test_tag_uri_authority_is_a_plain_lowercase_host(client, make_post, settings):
    make_post()
    settings.ALLOWED_HOSTS = ["*"]
    response = client.get("/feed/atom/", HTTP_HOST="Blog.Example.COM:8443")
    entry_id = parse(response).entries[0].id
    assert re.fullmatch(r"tag:blog\.example\.com,\d{4}-\d{2}-\d{2}:post-\d+", entry_id)


# --- Conditional GET ------------------------------------------------------------------------


@pytest.mark.parametrize("url", list(FEEDS))
def test_a_poll_that_brings_nothing_new_gets_304(client, tricky_posts, url, time_machine):
    fetch(client, url)
    # A date names a whole second: it vouches for the feed once the second of its last
    # change is over (see test_two_changes_within_a_second_…).
    time_machine.move_to(timezone.now() + timedelta(seconds=2))
    first = fetch(client, url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    by_etag = fetch(client, url, HTTP_IF_NONE_MATCH=etag)
    assert by_etag.status_code == 304 and by_etag.content == b""
    by_date = fetch(client, url, HTTP_IF_MODIFIED_SINCE=last_modified)
    assert by_date.status_code == 304 and by_date.content == b""


def test_validators_stay_while_nothing_changes(client, make_post, time_machine):
    make_post()
    first = fetch(client, "/feed/")
    time_machine.move_to(timezone.now() + timedelta(hours=1))
    cache.clear()  # built again from the database: the same bytes, the same ETag
    again = fetch(client, "/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]


def test_a_change_elsewhere_rebuilds_a_feed_but_a_reader_still_gets_304(client, make_post):
    """The ETag is a digest of the feed's bytes: a change to another category moves the
    site's freshness, the feed is built again, and its bytes came out the same."""
    other = publishing.save_category(Category(name="Python", slug="python"))
    make_post(title="卷积")
    elsewhere = make_post(title="进程", category=other)
    first = fetch(client, "/category/deep-learning/feed/")
    token = freshness.current()
    elsewhere.body = "改过的正文"
    publishing.save_post(elsewhere)
    assert freshness.current() != token
    again = fetch(client, "/category/deep-learning/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    changed = fetch(client, "/category/python/feed/")
    assert "改过的正文" in changed.content.decode()


def test_last_modified_moves_forward_when_the_bytes_change(client, make_post):
    """Deleting the newest post makes the feed older in content, but a reader that only
    sends If-Modified-Since must still get the new body, not 304."""
    make_post(title="旧文", published_at=timezone.now() - timedelta(days=2))
    newest = make_post(title="新文")
    first = fetch(client, "/feed/")
    publishing.delete_posts(Post.objects.filter(pk=newest.pk))
    again = fetch(client, "/feed/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 200 and "新文" not in again.content.decode()
    before = email.utils.parsedate_to_datetime(first["Last-Modified"])
    assert email.utils.parsedate_to_datetime(again["Last-Modified"]) >= before


def test_two_changes_within_a_second_never_leave_a_date_only_reader_behind(
    client, make_post, time_machine
):
    """HTTP dates have whole seconds. A copy taken between two changes in the same second
    carries a date that does not vouch for the second change."""
    time_machine.move_to(datetime(2026, 5, 1, 12, 0, 0, 100_000, tzinfo=UTC), tick=False)
    post = make_post(title="第一版")
    time_machine.move_to(datetime(2026, 5, 1, 12, 0, 0, 300_000, tzinfo=UTC), tick=False)
    between = fetch(client, "/feed/")
    time_machine.move_to(datetime(2026, 5, 1, 12, 0, 0, 600_000, tzinfo=UTC), tick=False)
    post.title = "第二版"
    publishing.save_post(post)
    time_machine.move_to(datetime(2026, 5, 1, 12, 0, 5, tzinfo=UTC), tick=False)
    later = fetch(client, "/feed/", HTTP_IF_MODIFIED_SINCE=between["Last-Modified"])
    assert later.status_code == 200 and "第二版" in later.content.decode()
    # The feed was built again at 12:00:05: once that second is over, its date says so and
    # a date-only poll gets 304 again.
    time_machine.move_to(datetime(2026, 5, 1, 12, 0, 7, tzinfo=UTC), tick=False)
    settled = fetch(client, "/feed/")
    assert settled["Last-Modified"] == "Fri, 01 May 2026 12:00:06 GMT"
    again = fetch(client, "/feed/", HTTP_IF_MODIFIED_SINCE=settled["Last-Modified"])
    assert again.status_code == 304


def test_an_empty_feed_keeps_its_bytes(client, category):
    first = fetch(client, "/category/deep-learning/feed/atom/")
    from django.core.cache import cache as shared

    shared.clear()
    again = fetch(client, "/category/deep-learning/feed/atom/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_an_edit_changes_the_validators(client, make_post):
    post = make_post()
    etag = fetch(client, "/feed/")["ETag"]
    post.body = "改过的正文"
    publishing.save_post(post)
    response = fetch(client, "/feed/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_a_scheduled_post_going_live_changes_the_feed_without_a_save(
    client, make_post, time_machine
):
    make_post(title="旧文")
    make_post(title="定时文", published_at=timezone.now() + timedelta(hours=1))
    first = fetch(client, "/feed/")
    assert "定时文" not in first.content.decode()
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    later = fetch(client, "/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert later.status_code == 200
    assert "定时文" in later.content.decode()


def test_renaming_a_category_or_tag_changes_the_feeds(client, make_post, category):
    make_post(tags=["旧标签"])
    etag = fetch(client, "/feed/")["ETag"]
    category.name = "机器学习"
    publishing.save_category(category)
    renamed = fetch(client, "/feed/", HTTP_IF_NONE_MATCH=etag)
    assert renamed.status_code == 200 and "机器学习" in renamed.content.decode()
    from taggit.models import Tag

    tag = Tag.objects.get(name="旧标签")
    tag.name = "新标签"
    publishing.save_tag(tag)
    assert "新标签" in fetch(client, "/feed/", HTTP_IF_NONE_MATCH=renamed["ETag"]).content.decode()


def test_tagging_a_post_changes_the_feeds(client, make_post):
    post = make_post()
    etag = fetch(client, "/feed/atom/")["ETag"]
    publishing.save_post(post, tags=["新加的标签"])
    response = fetch(client, "/feed/atom/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "新加的标签" in response.content.decode()


def test_unpublishing_an_older_post_changes_the_etag(client, make_post):
    older = make_post(published_at=timezone.now() - timedelta(days=3))
    make_post()
    etag = fetch(client, "/feed/atom/")["ETag"]
    publishing.delete_posts(Post.objects.filter(pk=older.pk))
    assert fetch(client, "/feed/atom/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_feeds_may_be_cached_briefly(client, make_post):
    assert "max-age=300" in fetch(client, "/feed/")["Cache-Control"]


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 1000])
def test_feed_queries_do_not_grow_with_posts(client, many_posts, django_assert_num_queries, n):
    many_posts(n)
    cache.clear()
    with django_assert_num_queries(3):  # what is current: the generation, the schedule (2)
        freshness.current()
    # items with category and author, their tags
    for url in ("/feed/", "/feed/atom/", "/feed/json/"):
        with django_assert_num_queries(2):
            assert fetch(client, url).status_code == 200
    # + the category itself
    with django_assert_num_queries(3):
        assert fetch(client, "/category/deep-learning/feed/").status_code == 200
    # + the tag itself, + whether a published post carries it
    with django_assert_num_queries(4):
        assert fetch(client, "/tag/pytorch/feed/atom/").status_code == 200
    etag = fetch(client, "/feed/")["ETag"]
    with django_assert_num_queries(0):  # a poll that brings nothing new touches no table
        assert fetch(client, "/feed/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_demo_feeds_parse(client, demo):
    feed = parse(fetch(client, "/feed/atom/"))
    published = Post.objects.published().count()
    assert len(feed.entries) == min(published, 20)
    assert all(entry.content[0].value for entry in feed.entries)


# --- The shared cache -----------------------------------------------------------------------


def test_a_built_feed_is_served_from_the_cache_until_a_post_changes(
    client, make_post, django_assert_num_queries
):
    post = make_post()
    first = fetch(client, "/feed/atom/")
    with django_assert_num_queries(0):  # freshness and feed both from the cache
        again = fetch(client, "/feed/atom/")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert again["Content-Type"] == "application/atom+xml; charset=utf-8"
    post.title = "新的标题"
    publishing.save_post(post)
    assert "新的标题" in fetch(client, "/feed/atom/").content.decode()


def test_cached_feeds_keep_their_host_in_the_links(client, make_post, settings):
    make_post()
    settings.ALLOWED_HOSTS = ["*"]
    one = client.get("/feed/", HTTP_HOST="a.example").content.decode()
    two = client.get("/feed/", HTTP_HOST="b.example").content.decode()
    assert "http://a.example/" in one and "http://b.example/" in two and "a.example" not in two


@pytest.fixture
def redis_cache(settings):
    """The production cache backend against the real Redis (started by .ci/run)."""
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "blog-test",
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


def test_feeds_are_shared_through_redis(client, make_post, redis_cache, django_assert_num_queries):
    make_post(title="经 Redis 缓存")
    first = fetch(client, "/feed/")
    assert any(k for k in redis_cache._cache.get_client().keys("blog-test:*"))
    with django_assert_num_queries(0):
        again = fetch(client, "/feed/")
    assert again.content == first.content
    assert "经 Redis 缓存" in again.content.decode()


@pytest.mark.parametrize("url", ["/tag/drafts-only/feed/", "/tag/drafts-only/feed/atom/"])
def test_a_tag_only_drafts_carry_has_no_feed(client, make_post, url):
    make_post(status=Post.Status.DRAFT, tags=["drafts-only"])
    response = fetch(client, url)
    assert response.status_code == 404 and "drafts-only" not in response.content.decode()


# --- Cache keys and hosts (issue 10, finding 13) ----------------------------------------------


def feed_keys(redis_cache):
    return redis_cache._cache.get_client().keys("blog-test:1:feed:*")


def test_ports_of_one_host_share_one_cached_feed(client, make_post, redis_cache, settings):
    make_post(title="端口")
    settings.ALLOWED_HOSTS = ["example"]
    for port in range(1000, 1200):
        response = client.get("/feed/", HTTP_HOST=f"example:{port}")
        assert response.status_code == 200
    assert len(feed_keys(redis_cache)) == 1
    links = response.content.decode()
    # Built for the host alone: no made-up port reaches the next reader.
    assert "http://example/posts/" in links and "example:1" not in links


def test_a_host_only_a_pattern_admits_is_never_kept(client, make_post, redis_cache, settings):
    make_post()
    settings.ALLOWED_HOSTS = [".example.org"]
    for n in range(20):
        host = f"a{n}.example.org"
        response = client.get("/feed/atom/", HTTP_HOST=host)
        assert response.status_code == 200 and f"http://{host}/" in response.content.decode()
    assert feed_keys(redis_cache) == []
    client.get("/feed/atom/", HTTP_HOST="example.org")  # the name itself is kept
    assert len(feed_keys(redis_cache)) == 1


def test_a_refused_host_builds_nothing(client, make_post, redis_cache, settings):
    make_post()
    settings.ALLOWED_HOSTS = ["example"]
    client.raise_request_exception = False
    assert client.get("/feed/", HTTP_HOST="attacker.example").status_code == 400
    assert feed_keys(redis_cache) == []


def test_the_port_the_site_is_served_on_stays_in_the_links(client, make_post, settings):
    make_post()
    settings.ALLOWED_HOSTS = ["localhost"]
    response = client.get("/feed/", HTTP_HOST="localhost:8000", SERVER_PORT="8000")
    assert "http://localhost:8000/posts/" in response.content.decode()


def test_an_authors_own_picture_element_leaves_no_tag_behind_in_feeds(make_post, client):
    make_post(body='<picture id="x"><img src="https://example.com/a.png" alt="a"></picture>')
    feed = client.get("/feed/atom/").content.decode()
    assert "picture" not in feed and "https://example.com/a.png" in feed


@pytest.mark.parametrize("url", ["/feed/", "/feed/atom/", "/feed/json/"])
def test_feed_entries_carry_headings_without_their_permalink_anchor(client, make_post, url):
    make_post(title="有小节的文章", body="## 第一节\n\n内容。\n\n### 细节\n\n更多。")
    feed = client.get(url).content.decode()
    assert "第一节" in feed and "细节" in feed
    assert "headerlink" not in feed and "#</a>" not in feed and "#&lt;/a&gt;" not in feed
