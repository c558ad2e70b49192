"""Faults: a database or cache that goes away (issue 10, findings 14 and 15).

Readers get the site's own 503 page with Retry-After within 5 seconds while the database is
down or hung, static files and robots.txt never wait on it, and pages come back by themselves
when it returns; a hung or stopped Redis costs pages nothing. The end-to-end part runs the
site the production way (gunicorn, DJANGO_DEBUG=0) against a PostgreSQL and a redis-server
of its own, which it stops, starts, hangs (SIGSTOP) and resumes (SIGCONT).
"""

import concurrent.futures
import time

import pytest
from django.db import OperationalError, connection
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper
from django.db.utils import ConnectionHandler

from tests.servers import (
    PostgresServer,
    RedisServer,
    SiteServer,
    postgres_unavailable_reason,
)

# What the issue promises readers while the database is away.
OUTAGE_ANSWER_SECONDS = 5


def failing_database(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def assert_outage_page(status, headers, body):
    assert status == 503
    assert int(headers["retry-after"]) > 0
    assert "no-store" in headers["cache-control"]
    page = body.decode() if isinstance(body, bytes) else body
    assert "马上回来" in page
    assert 'class="site-header"' in page  # the site's own look, not a bare error


# In-process: the middleware and the page.


@pytest.mark.django_db
def test_readers_get_the_503_page_when_the_database_fails(client, make_post):
    make_post(title="数据库不在")
    with connection.execute_wrapper(failing_database):
        response = client.get("/")
    assert_outage_page(response.status_code, response.headers, response.content)


@pytest.mark.django_db
def test_the_503_page_runs_no_query(client, django_assert_num_queries, make_post):
    from blog.outage import unavailable

    make_post(title="有分类")
    request = client.get("/").wsgi_request
    with django_assert_num_queries(0):
        response = unavailable(request, OperationalError("gone"))
    assert_outage_page(response.status_code, response.headers, response.content)


@pytest.mark.django_db
def test_a_database_error_in_another_middleware_is_a_503_too(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_faults.QueryingMiddleware"]
    client.raise_request_exception = False  # Django reports the error before our 503
    with connection.execute_wrapper(failing_database):
        response = client.get("/robots.txt")
    assert_outage_page(response.status_code, response.headers, response.content)


class QueryingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from blog.models import Category

        Category.objects.exists()
        return self.get_response(request)


@pytest.mark.django_db
def test_other_errors_stay_500(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_faults.BrokenMiddleware"]
    client.raise_request_exception = False
    assert client.get("/").status_code == 500


class BrokenMiddleware:
    def __init__(self, get_response):
        pass

    def __call__(self, request):
        raise ValueError("a bug, not an outage")


@pytest.mark.django_db
def test_robots_txt_runs_no_query(client, django_assert_num_queries, make_post):
    make_post(title="robots")
    with django_assert_num_queries(0):
        response = client.get("/robots.txt")
    assert response.status_code == 200


@pytest.mark.django_db
def test_robots_txt_is_served_while_the_database_fails(client):
    with connection.execute_wrapper(failing_database):
        assert client.get("/robots.txt").status_code == 200


# The servers.

needs_postgres_binaries = pytest.mark.skipif(
    postgres_unavailable_reason() is not None, reason=postgres_unavailable_reason() or ""
)


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def site(postgres, redis_server, tmp_path_factory):
    server = SiteServer(
        tmp_path_factory.mktemp("site"),
        {
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis_server.url,
            # One worker (of gunicorn.conf.py's threads) keeps the start short on a small CI
            # machine; several would each find the outage by themselves, no faster.
            "WEB_CONCURRENCY": "1",
        },
    )
    server.manage("shell", "-c", CONTENT)  # one start of Django instead of one per command
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def healthy(site, postgres, redis_server):
    """Each test starts and ends with every server up and the site answering."""
    for server in (postgres, redis_server):
        if not server.running():
            server.start()
        server.resume()
    wait_for_pages(site)
    yield site
    for server in (postgres, redis_server):
        if not server.running():
            server.start()
        server.resume()


CONTENT = """
from datetime import timedelta
from django.core.management import call_command
from django.utils import timezone
from blog import publishing
from blog.models import Post

call_command("migrate", verbosity=0)
category, _ = publishing.ensure_category("深度学习", "deep-learning")
for n in range(3):
    publishing.create_post(
        title=f"故障演练 {n}", slug=f"drill-{n}", category=category, tags=["故障"],
        body=f"正文 {n}，含公式 $x_{n}$。", status=Post.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=n + 1),
    )
"""
PAGES = ["/", "/archive/", "/category/deep-learning/", "/posts/drill-1/"]
# Not yet in the page cache when the database goes away: each must be built from posts the
# database holds, and cannot be.
UNCACHED = ["/posts/drill-0/", "/posts/drill-2/", "/tag/%E6%95%85%E9%9A%9C/"]
ALWAYS = ["/robots.txt", "/static/css/site.css"]


# A session cookie (of no session) passes the page cache by: the page is built from the
# database, as it must be to show that the database is back.
BUILT = {"Cookie": "sessionid=none"}


def fetch_all(site, paths, timeout=OUTAGE_ANSWER_SECONDS + 5, headers=None):
    """Fetches the paths at once (several workers and threads), in order of the paths."""
    with concurrent.futures.ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(lambda path: site.get(path, timeout, headers), paths))


def wait_for_pages(site, seconds=15):
    """Pages answer 200 again, by themselves, within `seconds`; then keep doing so."""
    deadline = time.monotonic() + seconds
    while True:
        statuses = [answer[0] for answer in fetch_all(site, PAGES * 2, headers=BUILT)]
        if set(statuses) == {200}:
            break
        assert time.monotonic() < deadline, f"pages did not come back: {statuses}"
        time.sleep(0.3)
    for status, *_ in fetch_all(site, PAGES * 2, headers=BUILT):
        assert status == 200
    fetch_all(site, PAGES)  # and into the page cache


def assert_readers_get_503_and_static_files_answer(site):
    """Pages the page cache holds are still served (nothing can change while the database
    is away); any other page gets the 503 page; static files and robots.txt answer."""
    paths = UNCACHED * 2 + PAGES + ALWAYS * 2
    answers = fetch_all(site, paths)
    for path, (status, headers, body, seconds) in zip(paths, answers, strict=True):
        assert seconds < OUTAGE_ANSWER_SECONDS, f"{path} took {seconds:.1f} s"
        if path in UNCACHED:
            assert_outage_page(status, headers, body)
        else:
            assert status == 200, path


@needs_postgres_binaries
def test_with_everything_up_pages_and_static_files_answer(healthy):
    answers = fetch_all(healthy, PAGES + ALWAYS)
    assert [status for status, *_rest in answers] == [200] * len(PAGES + ALWAYS)


@needs_postgres_binaries
def test_database_stopped_readers_get_503_then_pages_come_back(healthy, postgres):
    postgres.stop()
    assert_readers_get_503_and_static_files_answer(healthy)
    assert_readers_get_503_and_static_files_answer(healthy)  # persistent connections are gone
    postgres.start()
    wait_for_pages(healthy)


@needs_postgres_binaries
def test_database_hung_readers_get_503_within_seconds_then_pages_come_back(healthy, postgres):
    postgres.hang()
    try:
        assert_readers_get_503_and_static_files_answer(healthy)
        assert_readers_get_503_and_static_files_answer(healthy)
    finally:
        postgres.resume()
    wait_for_pages(healthy)


@needs_postgres_binaries
@pytest.mark.parametrize("fault", ["hung", "stopped"])
def test_pages_answer_quickly_while_redis_is_away(healthy, redis_server, fault):
    (redis_server.hang if fault == "hung" else redis_server.stop)()
    try:
        for _ in range(2):
            answers = fetch_all(healthy, PAGES * 2 + ["/feed/"] + ALWAYS)
            for status, _headers, _body, seconds in answers:
                assert status == 200
                # One cache timeout (0.5 s) at most, never one per cache call.
                assert seconds < 2
    finally:
        redis_server.resume() if fault == "hung" else redis_server.start()
    wait_for_pages(healthy)


def own_connection(postgres, options):
    """A connection of our backend to the test's own server, apart from the test database."""
    settings = {
        "ENGINE": "blog.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": postgres.port,
        "OPTIONS": options,
    }
    return ConnectionHandler({"default": settings})["default"]


@needs_postgres_binaries
def test_a_query_to_a_hung_server_is_given_up_after_its_deadline(postgres, django_db_blocker):
    """The server's own statement_timeout cannot fire while it hangs: the client's deadline
    ends the wait, and until the retry interval has passed nobody waits again."""
    database = own_connection(
        postgres, {"client_timeout": 0.5, "retry_seconds": 1, "connect_timeout": 2}
    )
    with django_db_blocker.unblock():
        try:
            with database.cursor() as cursor:
                cursor.execute("SELECT 1")
            postgres.hang()
            try:
                started = time.monotonic()
                with pytest.raises(OperationalError), database.cursor() as cursor:
                    cursor.execute("SELECT 1")
                assert time.monotonic() - started < 2
                database.close()
                started = time.monotonic()
                with pytest.raises(OperationalError, match="unavailable"):
                    database.ensure_connection()
                assert time.monotonic() - started < 0.5  # not tried again
            finally:
                postgres.resume()
            time.sleep(1.1)
            with database.cursor() as cursor:
                cursor.execute("SELECT 1")
                assert cursor.fetchone() == (1,)
        finally:
            database.close()


@needs_postgres_binaries
def test_a_health_check_answered_as_its_deadline_passed_is_not_trusted(
    postgres, django_db_blocker, monkeypatch
):
    """Found by the load test: on a busy machine the check can return just as the watchdog
    shuts its socket; the connection was then kept and the next query failed, a 503 while
    the database was fine. Such a connection is replaced instead."""
    database = own_connection(postgres, {"health_check_timeout": 0.05, "connect_timeout": 2})

    def answers_late(self):
        time.sleep(0.3)  # the check's own answer came, but only after the deadline
        return True

    with django_db_blocker.unblock():
        try:
            database.ensure_connection()
            monkeypatch.setattr(PostgresWrapper, "is_usable", answers_late)
            assert database.is_usable() is False
            monkeypatch.undo()
            database.close()
            with database.cursor() as cursor:
                cursor.execute("SELECT 1")
                assert cursor.fetchone() == (1,)
        finally:
            database.close()
