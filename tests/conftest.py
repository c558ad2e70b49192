import io
from datetime import timedelta
from itertools import count

import pytest
from django.core.management import call_command
from django.utils import timezone

from blog.models import Category, Post

_numbers = count(1)


@pytest.fixture
def category(db):
    return Category.objects.get_or_create(name="深度学习", defaults={"slug": "deep-learning"})[0]


@pytest.fixture
def make_post(db, category):
    """Creates a post; published an hour ago unless told otherwise."""

    def make(**fields):
        n = next(_numbers)
        tags = fields.pop("tags", [])
        fields.setdefault("title", f"文章 {n}")
        fields.setdefault("slug", f"post-{n}")
        fields.setdefault("category", category)
        fields.setdefault("body", f"正文 {n}，含公式 $x_{n}$。")
        fields.setdefault("status", Post.Status.PUBLISHED)
        fields.setdefault("published_at", timezone.now() - timedelta(hours=1))
        post = Post.objects.create(**fields)
        if tags:
            post.tags.set(tags)
        return post

    return make


@pytest.fixture
def visibility_grid(make_post):
    """One post for each cell of draft/published × past/future."""
    now = timezone.now()
    return {
        "published_past": make_post(title="已发布的文章", slug="published-past"),
        "published_future": make_post(
            title="定时发布的文章", slug="published-future", published_at=now + timedelta(days=3)
        ),
        "draft_past": make_post(title="草稿文章", slug="draft-past", status=Post.Status.DRAFT),
        "draft_future": make_post(
            title="未来草稿",
            slug="draft-future",
            status=Post.Status.DRAFT,
            published_at=now + timedelta(days=3),
        ),
    }


@pytest.fixture
def demo(db):
    """The demo articles, which double as the test fixtures."""
    call_command("load_demo", stdout=io.StringIO())
    return Post.objects.all()


@pytest.fixture
def many_posts(category):
    """Creates `n` published posts quickly (rendered once, copied), each with two tags."""

    def make(n):
        template = Post(title="t", slug="t", category=category, body="正文 $x$ 与 `code`。")
        template.render()
        now = timezone.now()
        posts = Post.objects.bulk_create(
            Post(
                title=f"批量文章 {i}",
                slug=f"bulk-{i}",
                category=category,
                body=template.body,
                body_html=template.body_html,
                excerpt=template.excerpt,
                status=Post.Status.PUBLISHED,
                published_at=now - timedelta(minutes=i + 1),
            )
            for i in range(n)
        )
        for post in Post.objects.filter(slug__startswith="bulk-")[:20]:
            post.tags.add("PyTorch", "分布式")
        return posts

    return make


@pytest.fixture(autouse=True)
def fresh_media(settings):
    """Each test starts with an empty in-memory media storage (re-setting STORAGES makes
    Django build new storage objects)."""
    settings.STORAGES = {**settings.STORAGES}


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: built feeds must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
