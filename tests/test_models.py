from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from blog.models import Category, Post


def test_published_is_the_only_grid_cell_readers_see(visibility_grid):
    visible = set(Post.objects.published().values_list("slug", flat=True))
    assert visible == {"published-past"}


def test_is_published_matches_the_queryset_rule(visibility_grid):
    for post in visibility_grid.values():
        assert post.is_published == (post.slug == "published-past")
    assert visibility_grid["published_future"].is_scheduled
    assert not visibility_grid["draft_future"].is_scheduled


def test_scheduled_post_becomes_visible_when_its_time_comes(make_post, time_machine):
    post = make_post(published_at=timezone.now() + timedelta(hours=2))
    assert not Post.objects.published().filter(pk=post.pk).exists()
    time_machine.move_to(timezone.now() + timedelta(hours=3))
    assert Post.objects.published().filter(pk=post.pk).exists()


def test_chinese_title_gives_a_unicode_slug(category):
    post = Post.objects.create(title="如何计算 CNN 的感受野？", category=category, body="x")
    assert post.slug == "如何计算-cnn-的感受野"
    assert (
        post.get_absolute_url()
        == "/posts/%E5%A6%82%E4%BD%95%E8%AE%A1%E7%AE%97-cnn-%E7%9A%84%E6%84%9F%E5%8F%97%E9%87%8E/"
    )


def test_same_title_twice_gets_distinct_slugs(category):
    first = Post.objects.create(title="空洞卷积", category=category, body="x")
    second = Post.objects.create(title="空洞卷积", category=category, body="y")
    assert (first.slug, second.slug) == ("空洞卷积", "空洞卷积-2")


def test_title_without_letters_still_gets_a_slug(category):
    assert Post.objects.create(title="？！", category=category, body="x").slug == "post"


def test_database_enforces_unique_slugs(make_post):
    make_post(slug="same")
    with pytest.raises(IntegrityError):
        Post.objects.bulk_create([Post(title="b", slug="same", category=Category.objects.get())])


def test_save_stores_rendered_html_excerpt_and_reading_time(make_post):
    post = make_post(body="## 标题\n\n感受野 $r_l$ 的**计算**。\n\n```python\nprint(1)\n```\n")
    assert '<h2 id="标题">标题<a class="headerlink" href="#标题"' in post.body_html
    assert "<strong>计算</strong>" in post.body_html
    assert post.excerpt == "感受野 rₗ 的计算。[代码]"
    assert post.excerpt_html.startswith('感受野 <span class="math math-inline"><math>')
    assert post.reading_minutes == 1


def test_hand_written_summary_wins_over_the_excerpt(make_post):
    post = make_post(body="正文很长。" * 100, summary="  一句话\n的摘要。 ")
    assert post.excerpt == "一句话 的摘要。"


def test_editing_the_body_renders_again(make_post):
    post = make_post(body="旧的内容")
    post.body = "新的 *内容*"
    post.save()
    post.refresh_from_db()
    assert "<em>内容</em>" in post.body_html


def test_category_slug_is_filled_from_its_name(db):
    assert Category.objects.create(name="计算机视觉").slug == "计算机视觉"


def test_deleting_a_category_with_posts_is_refused(make_post, category):
    from django.db.models import ProtectedError

    make_post()
    with pytest.raises(ProtectedError):
        category.delete()
