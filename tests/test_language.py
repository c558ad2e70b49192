"""The site's own words in the reader's language: Chinese by default (BLOG_LANGUAGE), English
for a browser that asks for it, or whichever the reader picked with the switch."""

import re

import pytest
from django.test import Client

from blog.models import Post

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


@pytest.fixture
def article(make_post):
    make_post(title="较早的文章", tags=["CNN"])
    body = "".join(f"## 第 {n} 节\n\n" + "正文。" * 150 + "\n\n" for n in range(1, 4))
    return make_post(title="感受野", slug="receptive-field", body=body, tags=["CNN"])


def text(response):
    return response.content.decode()


def test_without_a_preference_a_reader_gets_the_sites_language(client, article):
    page = text(client.get("/"))
    assert '<html lang="zh-hans">' in page
    assert "<h1>最近更新</h1>" in page and ">归档</a>" in page and "跳到正文" in page
    assert re.search(r'<span class="meta-reading">\d+ 分钟</span>', page)
    assert 'class="card-title" lang=' not in page  # the articles' language is the page's


def test_a_browser_asking_for_english_gets_the_interface_in_english(client, article):
    page = text(client.get("/", **ENGLISH))
    assert '<html lang="en">' in page
    assert "<h1>Latest updates</h1>" in page and ">Archive</a>" in page
    assert re.search(r'<span class="meta-reading">\d+ min read</span>', page)
    assert '<meta property="og:locale" content="en_US">' in page
    # The articles are still in Chinese, and say so: screen readers and fonts follow `lang`.
    assert '<h2 class="card-title" lang="zh-hans"><a href="/posts/receptive-field/">' in page


def test_an_article_reads_naturally_in_each_language(client, article):
    chinese = text(client.get(article.get_absolute_url()))
    english = text(client.get(article.get_absolute_url(), **ENGLISH))
    assert "<summary>目录</summary>" in chinese and "相关文章" in chinese and "标签：" in chinese
    assert "<summary>Contents</summary>" in english and "Related articles" in english
    assert '<div class="post-body" lang="zh-hans">' in english
    assert '<div class="post-body">' in chinese


def test_a_browser_asking_for_a_language_the_site_lacks_gets_the_sites(client, article):
    page = text(client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,de;q=0.5"))
    assert '<html lang="zh-hans">' in page and "最近更新" in page


def test_the_switch_remembers_the_choice_in_a_cookie_and_goes_back(client, article):
    url = article.get_absolute_url()
    response = client.post("/language/", {"language": "en", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    cookie = response.cookies["django_language"]
    assert cookie.value == "en" and int(cookie["max-age"]) >= 365 * 24 * 3600 - 1
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "sessionid" not in response.cookies
    # The next page, and every one after, in English, whatever the browser asks for.
    page = text(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN"))
    assert '<html lang="en">' in page and "Related articles" in page
    back = client.post("/language/", {"language": "zh-hans", "next": "/"})
    assert back.cookies["django_language"].value == "zh-hans"
    assert "最近更新" in text(client.get("/", **ENGLISH))


def test_the_switch_needs_no_csrf_token_and_works_from_a_page_kept_for_everyone(article):
    strict = Client(enforce_csrf_checks=True)
    page = text(strict.get("/"))
    assert 'name="csrfmiddlewaretoken"' not in page and 'action="/language/"' in page
    assert strict.post("/language/", {"language": "en", "next": "/"}).status_code == 302


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_the_switch_never_sends_a_reader_off_the_site(client, db, next_url):
    response = client.post("/language/", {"language": "en", "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.parametrize("language", ["fr", "xx-yy", "", "en\x00"])
def test_the_switch_ignores_a_language_it_does_not_speak(client, db, language):
    response = client.post("/language/", {"language": language, "next": "/"})
    assert response.status_code == 302 and "django_language" not in response.cookies


def test_a_get_of_the_switch_changes_nothing(client, db):
    response = client.get("/language/?language=en&next=/")
    assert response.status_code == 302 and "django_language" not in response.cookies


def test_a_404_page_switches_back_through_the_referer_without_echoing_the_address(client, db):
    page = text(client.get("/tag/secret-plan/"))
    assert "secret-plan" not in page
    assert '<input type="hidden" name="next" value="">' in page
    response = client.post(
        "/language/", {"language": "en", "next": ""}, HTTP_REFERER="http://testserver/nowhere/"
    )
    assert response["Location"] == "http://testserver/nowhere/"


def test_counts_and_months_read_naturally_in_each_language(client, make_post):
    make_post(title="一篇")
    chinese = text(client.get("/archive/"))
    english = text(client.get("/archive/", **ENGLISH))
    assert '<span class="count">1 篇文章</span>' in chinese
    assert '<span class="count">1 post</span>' in english
    search = text(client.get("/search/?q=一篇", **ENGLISH))
    assert "1 result for “一篇”" in search


def test_a_preview_note_speaks_the_readers_language(admin_client, make_post):
    draft = make_post(title="草稿", status=Post.Status.DRAFT)
    english = text(admin_client.get(draft.get_absolute_url(), **ENGLISH))
    assert "Preview: draft, not visible to readers." in english
    assert "预览：草稿，读者看不到。" in text(admin_client.get(draft.get_absolute_url()))


def test_feeds_and_sitemaps_answer_in_the_sites_language_without_varying(client, article):
    for url in ("/feed/", "/feed/atom/", "/sitemap.xml", "/robots.txt"):
        english = client.get(url, **ENGLISH)
        chinese = client.get(url)
        assert english.status_code == 200, url
        assert english.content == chinese.content, url
        assert "Accept-Language" not in english.get("Vary", ""), url
        assert english["Content-Language"] == "zh-hans", url


@pytest.mark.parametrize("method", ["put", "delete", "options", "patch"])
def test_the_switch_answers_other_methods_with_405(client, db, method):
    assert getattr(client, method)("/language/").status_code == 405


def test_an_article_names_its_heading_links_in_the_readers_language(client, article):
    chinese = text(client.get(article.get_absolute_url()))
    english = text(client.get(article.get_absolute_url(), **ENGLISH))
    assert 'title="链接到本节" aria-label="链接到本节">#</a>' in chinese
    assert (
        'title="Link to this section" aria-label="Link to this section" lang="en">#</a>' in english
    )


def test_a_scrolling_box_with_attributes_of_its_own_is_still_reachable_by_keyboard(
    client, make_post
):
    post = make_post(body='<table id="wide"><tr><td>1</td></tr></table>\n\n```\ncode\n```\n')
    page = text(client.get(post.get_absolute_url()))
    assert '<table id="wide" tabindex="0">' in page and '<pre tabindex="0">' in page


def test_the_503_page_speaks_the_readers_language_whatever_ran_before(rf, db):
    from django.db import OperationalError
    from django.utils import translation

    from blog import outage

    with translation.override("zh-hans"):
        english = outage.unavailable(rf.get("/", HTTP_ACCEPT_LANGUAGE="en"), OperationalError())
    with translation.override("en"):
        chinese = outage.unavailable(rf.get("/"), OperationalError())
    assert "Back in a moment" in text(english) and '<html lang="en">' in text(english)
    assert "马上回来" in text(chinese) and '<html lang="zh-hans">' in text(chinese)


def test_the_authors_text_is_marked_chinese_in_the_english_interface(client, article):
    english = text(client.get("/", **ENGLISH))
    assert '<a class="meta-category" href="/category/deep-learning/" lang="zh-hans">' in english
    assert '<span class="meta-tags" lang="zh-hans">' in english
    assert 'lang="zh-hans">深度学习</a></li>' in english  # the navigation's category
