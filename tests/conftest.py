import io
import logging
from datetime import timedelta
from itertools import count

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from blog import publishing
from blog.models import Category, Post

# The browser tests' Chromium (the `browser` fixture).
pytest_plugins = ["tests.chromium"]

_numbers = count(1)


@pytest.fixture(autouse=True)
def commits_as_in_production(monkeypatch):
    """pytest-django runs each test inside a transaction that is rolled back, so
    `transaction.on_commit` callbacks would never run, and nothing the write path announces
    would reach the search index or the caches. Here a transaction the code opens runs its
    callbacks when it ends, as its commit would; one rolled back drops them, as Django does.
    Tests marked `transaction=True` commit for real and need none of this."""
    exit_atomic = transaction.Atomic.__exit__
    on_commit = BaseDatabaseWrapper.on_commit

    def only_test_blocks_left(connection):
        blocks = connection.atomic_blocks
        return bool(blocks) and all(block._from_testcase for block in blocks)

    def run_callbacks(connection):
        callbacks, connection.run_on_commit = connection.run_on_commit, []
        for _sids, func, _robust in callbacks:
            func()

    def exit(self, exc_type, exc_value, traceback):
        connection = transaction.get_connection(self.using)
        committing = (
            exc_type is None
            and not self._from_testcase
            and connection.atomic_blocks[-1] is self
            and all(block._from_testcase for block in connection.atomic_blocks[:-1])
        )
        if committing:
            # What a commit checks last on PostgreSQL: deferred foreign keys. A violation
            # fails the commit, and the code's own block is rolled back, as it would be.
            try:
                connection.check_constraints()
            except DatabaseError as error:
                exit_atomic(self, type(error), error, error.__traceback__)
                raise
        result = exit_atomic(self, exc_type, exc_value, traceback)
        if committing and only_test_blocks_left(connection):
            run_callbacks(connection)
        return result

    def commit_hook(self, func, robust=False):
        on_commit(self, func, robust)
        if only_test_blocks_left(self):  # no transaction of the code's own: run it now
            run_callbacks(self)

    monkeypatch.setattr(transaction.Atomic, "__exit__", exit)
    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", commit_hook)
    yield
    for connection in connections.all(initialized_only=True):
        connection.run_on_commit = []


class _StrayWritesFromTheBlog(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.found = []

    def emit(self, record):
        message = record.getMessage()
        if "outside blog.publishing (blog/" in message:
            self.found.append(message)


@pytest.fixture(autouse=True)
def the_blog_writes_only_through_its_write_path():
    """Tests may write around blog.publishing (it is how they set up odd states); the blog's
    own code never does: the guard in blog.changes names the line, and that fails the test."""
    handler = _StrayWritesFromTheBlog()
    logger = logging.getLogger("blog.publishing")
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)
    assert handler.found == []


@pytest.fixture
def category(db):
    found = Category.objects.filter(name="深度学习").first()
    return found or publishing.save_category(Category(name="深度学习", slug="deep-learning"))


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
        return publishing.create_post(tags=tags, **fields)

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
        posts = publishing.bulk_create_posts(
            [
                Post(
                    title=f"批量文章 {i}",
                    slug=f"bulk-{i}",
                    category=category,
                    body=template.body,
                    body_html=template.body_html,
                    excerpt=template.excerpt,
                    excerpt_html=template.excerpt_html,
                    status=Post.Status.PUBLISHED,
                    published_at=now - timedelta(minutes=i + 1),
                )
                for i in range(n)
            ]
        )
        for post in Post.objects.filter(slug__startswith="bulk-")[:20]:
            publishing.save_post(post, tags=["PyTorch", "分布式"])
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

    from blog import cards, kept_pages, lists, search

    cache.clear()
    # What each process keeps for itself under the token, which a test's rollback repeats.
    kept_pages.recent.clear()
    lists._here.clear()
    cards.clear()
    # Memoized per generation of the site's content, which in production never comes back;
    # each test's rollback brings the same numbers back with other categories and tags.
    search._label_memo.clear()
