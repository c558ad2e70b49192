"""The writing room's live preview (blog.preview): the article body a reader would get, for
authors only, bounded in size and rate, never kept."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse

from blog import preview, ratelimit
from blog.models import Post
from blog.templatetags.blog_tags import article_as_shown

pytestmark = pytest.mark.django_db


@pytest.fixture
def url():
    return reverse("admin:blog_post_preview")


def test_the_preview_of_each_demo_article_is_the_body_readers_get(admin_client, demo, url, client):
    for post in Post.objects.published():
        answer = admin_client.post(url, {"body": post.body})
        assert answer.status_code == 200, post.slug
        data = answer.json()
        assert data["html"] == post.body_html, post.slug
        assert data["toc"] == post.toc_html, post.slug
        assert data["reading_minutes"] == post.reading_minutes, post.slug
        page = client.get(post.get_absolute_url()).content.decode()
        # The page puts the boxes that scroll in the tab order; the rest is the same.
        body = article_as_shown(data["html"])
        assert f'<div class="post-body">\n{body}\n  </div>' in page, post.slug


def test_a_broken_formula_comes_back_as_a_warning(admin_client, url):
    data = admin_client.post(url, {"body": "能量 $\\frac{1}{$ 守恒。"}).json()
    assert data["warnings"]
    clean = admin_client.post(url, {"body": "能量 $E=mc^2$ 守恒。"}).json()
    assert clean["warnings"] == [] and "<math" in clean["html"]


def test_a_preview_is_never_kept(admin_client, url):
    answer = admin_client.post(url, {"body": "# 标题"})
    assert "no-store" in answer["Cache-Control"]


def test_readers_and_staff_who_may_not_write_get_no_preview(client, url, db):
    answer = client.post(url, {"body": "x"})
    assert answer.status_code == 302 and "/login/" in answer["Location"]
    staff = User.objects.create_user("viewer", password="pw-for-tests", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_post"))
    client.force_login(staff)
    assert client.post(url, {"body": "x"}).status_code == 403


def test_a_preview_is_asked_for_by_post_with_the_csrf_token(admin_user, url):
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(admin_user)
    assert checked.get(url).status_code == 405
    assert checked.post(url, {"body": "x"}).status_code == 403


def test_a_body_over_the_article_limit_is_refused_with_its_size(admin_client, url, settings):
    settings.BLOG = {**settings.BLOG, "MAX_ARTICLE_BYTES": 1000}
    answer = admin_client.post(url, {"body": "字" * 400})  # 1,200 bytes of UTF-8
    assert answer.status_code == 413
    error = answer.json()["error"]
    assert filesizeformat(1200) in error and filesizeformat(1000) in error


def test_a_form_without_a_body_is_told_so(admin_client, url):
    answer = admin_client.post(url, {"title": "x"})
    assert answer.status_code == 400 and answer.json()["error"]


def test_the_preview_is_of_the_body_as_saving_cleans_it(admin_client, url):
    spaced = admin_client.post(url, {"body": "\n\n    缩进的一行\n\n正文。\n\n"}).json()
    plain = admin_client.post(url, {"body": "缩进的一行\n\n正文。"}).json()
    assert spaced["html"] == plain["html"]  # the form strips the body before it is rendered


def test_an_author_past_the_rate_waits(admin_client, url, monkeypatch):
    monkeypatch.setattr(preview, "PREVIEWS_PER_MINUTE", 3)
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_030.0)  # mid-minute, fixed
    for _ in range(3):
        assert admin_client.post(url, {"body": "x"}).status_code == 200
    refused = admin_client.post(url, {"body": "x"})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"


def test_one_render_at_a_time_per_author(admin_client, admin_user, url):
    cache.add(f"preview-busy:{admin_user.pk}", 1, 10)  # another render of this author's
    refused = admin_client.post(url, {"body": "x"})
    assert refused.status_code == 429 and refused["Retry-After"] == "1"
    cache.delete(f"preview-busy:{admin_user.pk}")
    assert admin_client.post(url, {"body": "x"}).status_code == 200
