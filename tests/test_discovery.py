"""What crawlers and link previews see: sitemap, robots, canonical and social meta, JSON-LD,
related articles and the feed links on each list page."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html import unescape
from urllib.parse import quote

import pytest
from django.utils import timezone

from blog.models import Category, Post

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def meta(html, key):
    found = re.findall(rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)">', html)
    return [unescape(value) for value in found]


def canonical(html):
    return re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)


def test_sitemap_lists_home_articles_and_lists_that_have_posts(client, visibility_grid, make_post):
    empty = Category.objects.create(name="空分类", slug="empty")
    only_draft = make_post(status=Post.Status.DRAFT, tags=["只在草稿"], category=empty)
    make_post(slug="tagged", tags=["CNN"])
    root = ET.fromstring(client.get("/sitemap.xml").content)
    entries = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in root.findall(f"{SITEMAP}url")
    }
    assert "http://testserver/" in entries
    assert entries["http://testserver/posts/published-past/"]
    assert "http://testserver/posts/tagged/" in entries
    assert "http://testserver/category/deep-learning/" in entries
    assert "http://testserver/tag/cnn/" in entries
    for hidden in ("published-future", "draft-past", "draft-future", only_draft.slug):
        assert f"http://testserver/posts/{hidden}/" not in entries
    assert "http://testserver/category/empty/" not in entries
    assert f"http://testserver/tag/{quote('只在草稿')}/" not in entries


def test_every_sitemap_address_answers(client, demo):
    root = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]
    assert len(locations) > 30
    for location in locations:
        assert client.get(location.removeprefix("http://testserver")).status_code == 200, location


def test_the_sitemap_is_built_once_per_change(client, make_post, django_assert_max_num_queries):
    """Found by the load test: built afresh for each request, the sitemap of 10,000 articles
    held every worker for seconds. It is kept like the feeds, and a change still shows."""
    make_post(slug="first")
    first = client.get("/sitemap.xml")
    assert first.status_code == 200 and first["Content-Type"] == "application/xml"
    with django_assert_max_num_queries(2):  # the site's freshness, nothing of the posts
        again = client.get("/sitemap.xml")
    assert again.content == first.content
    assert client.get("/sitemap.xml", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    make_post(slug="second")
    changed = client.get("/sitemap.xml", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and b"/posts/second/" in changed.content


def test_robots_keeps_crawlers_out_of_search_and_does_not_name_the_admin(client, db):
    """The admin's pages say noindex themselves; robots.txt is public, and naming an admin
    moved by BLOG_ADMIN_PATH there would undo the move."""
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /search/" in robots and "admin" not in robots
    assert "Sitemap: http://testserver/sitemap.xml" in robots


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", "http://testserver/"),
        ("/?page=2", "http://testserver/?page=2"),
        ("/?page=1", "http://testserver/"),
        ("/archive/", "http://testserver/archive/"),
        ("/category/deep-learning/", "http://testserver/category/deep-learning/"),
    ],
)
def test_pages_name_their_canonical_address(client, many_posts, url, expected):
    many_posts(15)
    html = client.get(url).content.decode()
    assert canonical(html) == expected
    assert meta(html, "og:url") == [expected]
    assert meta(html, "description") and meta(html, "og:title") and meta(html, "og:description")
    assert meta(html, "twitter:card") == ["summary"]


def test_article_carries_open_graph_twitter_and_json_ld(client, make_post, django_user_model):
    author = django_user_model.objects.create_user("writer", first_name="王", last_name="小明")
    post = make_post(
        title="感受野 & “引号”",
        slug="rf",
        author=author,
        body="开头一段。\n\n![示意图](/static/demo/receptive-field.svg){ width=640 height=320 }",
        tags=["CNN", "感受野"],
    )
    html = client.get("/posts/rf/").content.decode()
    assert canonical(html) == "http://testserver/posts/rf/"
    assert meta(html, "og:type") == ["article"]
    assert meta(html, "og:title") == ["感受野 & “引号”"]
    assert meta(html, "og:description") == [post.excerpt]
    assert meta(html, "og:image") == ["http://testserver/static/demo/receptive-field.svg"]
    assert meta(html, "twitter:card") == ["summary_large_image"]
    assert meta(html, "article:published_time") == [post.published_at.astimezone(
        timezone.get_current_timezone()).isoformat()]  # fmt: skip
    assert sorted(meta(html, "article:tag")) == ["CNN", "感受野"]
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "感受野 & “引号”"
    assert data["url"] == "http://testserver/posts/rf/"
    assert data["author"]["name"] == "王 小明"
    assert data["image"] == "http://testserver/static/demo/receptive-field.svg"
    assert sorted(data["keywords"]) == ["CNN", "感受野"]
    assert "<" not in block and "&" not in block  # cannot close its own element


def test_json_ld_cannot_be_broken_out_of(client, make_post):
    make_post(slug="x", title="</script><script>alert(1)</script>")
    html = client.get("/posts/x/").content.decode()
    assert html.count("<script") == 1
    assert "</script><script>alert(1)" not in html


def test_previews_of_unpublished_posts_are_not_indexed(admin_client, visibility_grid):
    html = admin_client.get("/posts/draft-past/").content.decode()
    assert meta(html, "robots") == ["noindex"]
    assert "application/ld+json" not in html


def test_related_articles_share_the_most_tags(client, make_post):
    now = timezone.now()
    post = make_post(slug="main", tags=["a", "b", "c"])
    three = make_post(title="三个共同", tags=["a", "b", "c"], published_at=now - timedelta(days=9))
    two_new = make_post(title="两个新", tags=["a", "b"], published_at=now - timedelta(days=1))
    two_old = make_post(title="两个旧", tags=["b", "c"], published_at=now - timedelta(days=5))
    for i in range(4):
        make_post(title=f"一个{i}", tags=["c"], published_at=now - timedelta(days=20 + i))
    make_post(title="无关", tags=["z"])
    make_post(title="草稿相关", tags=["a", "b", "c"], status=Post.Status.DRAFT)
    html = client.get(post.get_absolute_url()).content.decode()
    section = html.split('<section class="related"')[1].split("</section>")[0]
    titles = re.findall(r'<a href="[^"]+">([^<]+)</a>', section)
    assert titles == [three.title, two_new.title, two_old.title, "一个0", "一个1"]


def test_article_without_tags_has_no_related_section(client, make_post):
    make_post(slug="lonely")
    assert 'class="related"' not in client.get("/posts/lonely/").content.decode()


def test_list_pages_announce_and_link_their_own_feeds(client, make_post):
    make_post(tags=["分布式"])
    html = client.get("/category/deep-learning/").content.decode()
    for href in ("/category/deep-learning/feed/", "/category/deep-learning/feed/atom/"):
        assert 'rel="alternate" type="application/' in html
        assert f'href="{href}"' in html
    assert 'class="list-feeds"' in html
    tag_url = f"/tag/{quote('分布式')}/"
    html = client.get(tag_url).content.decode()
    assert f'href="{tag_url}feed/"' in html and f'href="{tag_url}feed/atom/"' in html
    home = client.get("/").content.decode()
    assert 'href="/feed/json/"' in home and 'type="application/feed+json"' in home


def test_every_feed_announced_on_a_page_answers(client, demo):
    for page in ("/", "/category/pytorch/", f"/tag/{quote('分布式')}/"):
        html = client.get(page).content.decode()
        for href in re.findall(
            r'<link rel="alternate" type="[^"]+" title="[^"]*" href="([^"]+)"', html
        ):
            assert client.get(href).status_code == 200, href


def test_past_the_limit_of_a_file_the_sitemap_is_an_index(client, many_posts, monkeypatch):
    """sitemaps.org allows 50,000 addresses a file: at 100,000 articles the one file had
    all of them (14 MB). Past POSTS_PER_FILE articles /sitemap.xml lists the files."""
    from blog import sitemaps

    monkeypatch.setattr(sitemaps, "POSTS_PER_FILE", 4)
    many_posts(10)
    index = ET.fromstring(client.get("/sitemap.xml").content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    files = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert files == [
        "http://testserver/sitemap-lists.xml",
        *(f"http://testserver/sitemap-posts-{n}.xml" for n in (1, 2, 3)),
    ]
    addresses = []
    for url in files:
        root = ET.fromstring(client.get(url.removeprefix("http://testserver")).content)
        assert root.tag == f"{SITEMAP}urlset"
        addresses += [loc.text for loc in root.iter(f"{SITEMAP}loc")]
    posts = [a for a in addresses if "/posts/" in a]
    assert len(posts) == len(set(posts)) == 10
    assert "http://testserver/" in addresses and "http://testserver/tag/pytorch/" in addresses
    assert client.get("/sitemap-posts-4.xml").status_code == 404
    assert client.get("/sitemap-posts-0.xml").status_code == 404
