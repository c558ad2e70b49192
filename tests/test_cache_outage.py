"""The cache fails open: with Redis stopped (or hanging) pages are built without it, one
warning says so, and the cache is used again once Redis answers, without a restart."""

import asyncio
import logging
import threading
import time

import pytest
from django.core.cache import caches

from blog.cache_backend import ReusedClients
from tests.servers import RedisServer

BACKEND = "blog.cache_backend.FailOpenRedisCache"
RETRY_SECONDS = 0.2
SOCKET_TIMEOUT = 0.5


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def point_cache_at(settings, server, retry_seconds=RETRY_SECONDS):
    settings.CACHES = {
        "default": {
            "BACKEND": BACKEND,
            "LOCATION": server.url,
            "KEY_PREFIX": "blog",
            "OPTIONS": {
                "socket_connect_timeout": SOCKET_TIMEOUT,
                "socket_timeout": SOCKET_TIMEOUT,
                "RETRY_SECONDS": retry_seconds,
            },
        }
    }
    return caches["default"]


@pytest.fixture
def redis_cache(settings, redis_server):
    return point_cache_at(settings, redis_server)


@pytest.fixture
def cache_log(caplog):
    caplog.set_level(logging.INFO, logger="blog.cache")

    def records(level):
        return [r for r in caplog.records if r.name == "blog.cache" and r.levelno == level]

    return records


def test_with_redis_up_feeds_and_archive_are_cached_in_redis(
    client, make_post, redis_server, redis_cache
):
    make_post(title="缓存正常")
    assert client.get("/feed/").status_code == 200
    after_feed = len(redis_server.keys())
    assert after_feed >= 1
    assert client.get("/archive/").status_code == 200
    assert len(redis_server.keys()) > after_feed


def test_with_redis_stopped_pages_answer_and_one_warning_without_traceback_is_logged(
    client, make_post, redis_server, redis_cache, cache_log
):
    make_post(title="缓存停了也能读")
    assert client.get("/feed/").status_code == 200
    redis_server.stop()

    for _ in range(3):
        feed = client.get("/feed/")
        assert feed.status_code == 200 and "缓存停了也能读" in feed.content.decode()
        atom = client.get("/feed/atom/")
        assert atom.status_code == 200 and "缓存停了也能读" in atom.content.decode()
        archive = client.get("/archive/")
        assert archive.status_code == 200 and "1 篇文章<" in archive.content.decode()
        index = client.get("/")
        assert index.status_code == 200 and "缓存停了也能读" in index.content.decode()
        time.sleep(RETRY_SECONDS / 2)  # some requests fall after the retry interval

    [warning] = cache_log(logging.WARNING)
    assert warning.exc_info is None
    assert f"127.0.0.1:{redis_server.port}" in warning.getMessage()
    assert "ConnectionError" in warning.getMessage()
    assert cache_log(logging.INFO) == []


def test_the_cache_is_used_again_once_redis_is_back_without_a_restart(
    client, make_post, redis_server, redis_cache, cache_log
):
    make_post(title="缓存回来了")
    redis_server.stop()
    assert client.get("/feed/").status_code == 200
    assert len(cache_log(logging.WARNING)) == 1

    redis_server.start()
    assert redis_server.keys() == []
    time.sleep(RETRY_SECONDS * 1.5)
    feed = client.get("/feed/")
    assert feed.status_code == 200 and "缓存回来了" in feed.content.decode()
    assert redis_server.keys() != []
    [back] = cache_log(logging.INFO)
    assert "back" in back.getMessage() and f"127.0.0.1:{redis_server.port}" in back.getMessage()
    assert len(cache_log(logging.WARNING)) == 1


def test_no_cache_operation_raises_against_a_stopped_redis(redis_server, redis_cache):
    redis_server.stop()
    cache = redis_cache
    assert cache.get("k") is None
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set("k", 1) is None
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.add("k", 1) is False
    assert cache.touch("k") is False
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    assert cache.delete_many(["a", "b"]) is None
    assert cache.get_or_set("k", lambda: "computed") == "computed"
    assert cache.clear() is False
    assert asyncio.run(cache.aget("k", "default")) == "default"


def test_incr_and_decr_against_a_stopped_redis_raise_value_error_like_a_missing_key(
    redis_server, redis_cache
):
    redis_cache.set("n", 1)
    redis_server.stop()
    with pytest.raises(ValueError):
        redis_cache.incr("n")
    with pytest.raises(ValueError):
        redis_cache.decr("n")


def test_a_failed_redis_is_not_asked_again_until_the_retry_interval_has_passed(
    redis_server, redis_cache, monkeypatch
):
    attempts = []
    client = redis_cache._cache
    get_client = client.get_client
    monkeypatch.setattr(
        client, "get_client", lambda *a, **kw: attempts.append(1) or get_client(*a, **kw)
    )
    redis_server.stop()
    redis_cache.get("k")
    assert len(attempts) == 1
    for _ in range(5):
        redis_cache.get("k")
        redis_cache.set("k", 1)
    assert len(attempts) == 1
    time.sleep(RETRY_SECONDS * 1.5)
    redis_cache.get("k")
    assert len(attempts) == 2


def test_the_threads_of_a_process_share_what_one_found_out(redis_server, settings, monkeypatch):
    """Each thread has a cache object of its own (Django's), but not an outage of its own:
    once one thread has found Redis down, the others do not each try (and, against a
    hanging Redis, each wait out the timeout) before the retry interval has passed."""
    attempts = []
    get_client = ReusedClients.get_client
    monkeypatch.setattr(
        ReusedClients, "get_client", lambda *a, **kw: attempts.append(1) or get_client(*a, **kw)
    )
    cache = point_cache_at(settings, redis_server, retry_seconds=30)
    redis_server.stop()
    assert cache.get("k") is None
    assert len(attempts) == 1

    results = []

    def in_another_thread():
        assert caches["default"] is not cache
        results.append(caches["default"].get("k", "missed"))

    threads = [threading.Thread(target=in_another_thread) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["missed"] * 4
    assert len(attempts) == 1


def test_a_hanging_redis_costs_one_timeout_not_one_per_request(
    client, make_post, redis_server, settings, cache_log
):
    make_post(title="Redis 卡住了")
    point_cache_at(settings, redis_server, retry_seconds=30)
    assert client.get("/feed/").status_code == 200
    redis_server.hang()
    try:
        assert client.get("/feed/").status_code == 200  # pays the socket timeout once
        for _ in range(4):
            started = time.monotonic()
            assert client.get("/feed/").status_code == 200
            assert time.monotonic() - started < SOCKET_TIMEOUT
    finally:
        redis_server.resume()
    [warning] = cache_log(logging.WARNING)
    assert "TimeoutError" in warning.getMessage()
