"""Django's Redis cache, failing open: the cache only ever saves work, so while Redis cannot
be reached every read is a miss and every write is dropped, and pages are built from the
database instead of answering 500."""

import logging
import re
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("blog.cache")

_FAILED = object()


class FailOpenRedisCache(RedisCache):
    """RedisCache whose operations answer as a miss when Redis fails (any RedisError:
    connection refused, timeout, …): get → default, get_many → {}, has_key/add/touch/
    delete/clear → False, set/delete_many → None, set_many → every key (all failed).
    incr/decr raise ValueError, as for a missing key: callers of Django's API already
    handle that (typically by add or set, which are then dropped), whereas an invented
    count would be silently wrong.

    After a failure Redis is left alone for OPTIONS["RETRY_SECONDS"] (default 5), so a
    dead or hanging Redis costs one caller a timeout per interval rather than every
    request; the first call after the interval tries again, so the cache comes back by
    itself. One warning is logged per outage and one INFO line when Redis answers again.
    get_or_set, decr, incr_version and the async methods go through the methods below.
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        # Ours, not redis-py's: the pool would reject an unknown keyword.
        self.retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        # A password in the URL must not end up in the logs.
        self._location = ",".join(re.sub(r"//[^/@]*@", "//", s) for s in self._servers)
        self._lock = threading.Lock()
        self._retry_at = None  # monotonic time of the next try while Redis is down

    def _skip(self):
        if self._retry_at is None:
            return False
        with self._lock:
            if self._retry_at is None:
                return False
            now = time.monotonic()
            if now < self._retry_at:
                return True
            # This caller probes; the others keep missing until it has an answer, so a
            # hanging Redis costs one timeout per interval, not one per thread.
            self._retry_at = now + self.retry_seconds
            return False

    def _guarded(self, miss, operation, *args):
        if self._skip():
            return miss
        try:
            result = operation(*args)
        except RedisError as error:
            with self._lock:
                first = self._retry_at is None
                self._retry_at = time.monotonic() + self.retry_seconds
            if first:
                logger.warning(
                    "Cache %s unavailable, serving without it (retrying every %gs): %s: %s",
                    self._location,
                    self.retry_seconds,
                    type(error).__name__,
                    error,
                )
            return miss
        if self._retry_at is not None:
            with self._lock:
                back = self._retry_at is not None
                self._retry_at = None
            if back:
                logger.info("Cache %s is back", self._location)
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
