"""Django's Redis cache, failing open: the cache only ever saves work, so while Redis cannot
be reached every read is a miss and every write is dropped, and pages are built from the
database instead of answering 500."""

import logging
import re

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from . import circuit

logger = logging.getLogger("blog.cache")

_FAILED = object()


class ReusedClients(RedisCacheClient):
    """Django's client makes a new redis.Redis for every cache call, and redis-py fills its
    table of reply callbacks afresh for each: 0.2 ms, twice for a page-cache hit, half the
    time of the hit. A Redis over a connection pool is thread-safe: one per pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailOpenRedisCache(RedisCache):
    """RedisCache whose operations answer as a miss when Redis fails (any RedisError:
    connection refused, timeout, …): get → default, get_many → {}, has_key/add/touch/
    delete/clear → False, set/delete_many → None, set_many → every key (all failed).
    incr/decr raise ValueError, as for a missing key: callers of Django's API already
    handle that (typically by add or set, which are then dropped), whereas an invented
    count would be silently wrong.

    After a failure Redis is left alone for OPTIONS["RETRY_SECONDS"] (default 5; the rule
    is blog.circuit's, shared by the threads of a process), so a dead or hanging Redis costs
    one caller a timeout per interval rather than every cache call of every request.
    redis-py's own retries are turned off (unless OPTIONS give a `retry`): a retry after a
    timeout only doubles the wait.
    get_or_set, decr, incr_version and the async methods go through the methods below.
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        # Ours, not redis-py's: the pool would reject an unknown keyword.
        retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedClients
        # A password in the URL must not end up in the logs.
        self._location = ",".join(re.sub(r"//[^/@]*@", "//", s) for s in self._servers)
        self.circuit = circuit.shared(
            ("cache", self._location, retry_seconds),
            f"Cache {self._location}",
            retry_seconds,
            logger,
        )

    def _guarded(self, miss, operation, *args):
        if self.circuit.skip():
            return miss
        try:
            result = operation(*args)
        except RedisError as error:
            self.circuit.failed(f"{type(error).__name__}: {error}")
            return miss
        self.circuit.succeeded()
        return result

    def get(self, key, default=None, version=None):
        return self._guarded(default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._guarded({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guarded(False, super().has_key, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(list(data), super().set_many, data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, super().add, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded(False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        return self._guarded(None, super().delete_many, keys, version)

    def clear(self):
        return self._guarded(False, super().clear)

    def incr(self, key, delta=1, version=None):
        result = self._guarded(_FAILED, super().incr, key, delta, version)
        if result is _FAILED:
            raise ValueError(f"Key '{key}' not found (cache {self._location} unavailable).")
        return result
