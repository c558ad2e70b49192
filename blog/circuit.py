"""A server that failed is left alone for a while: the one rule of the cache (cache_backend)
and the database (postgresql/base) when they stop answering.

While a server is known to be down, callers give up at once instead of each waiting out a
timeout; once the interval has passed, one caller tries again (the others keep giving up
until it has an answer), so the site comes back by itself without a restart. One warning is
logged when an outage starts and one INFO line when the server answers again.
"""

import threading
import time

_shared = {}
_shared_lock = threading.Lock()


def shared(key, label, retry_seconds, logger, without="serving without it"):
    """The circuit of one server, shared by the threads of a process, so that what one
    thread found out spares the others their own timeout."""
    circuit = _shared.get(key)
    if circuit is None:
        with _shared_lock:
            circuit = _shared.setdefault(key, Circuit(label, retry_seconds, logger, without))
    return circuit


class Circuit:
    def __init__(self, label, retry_seconds, logger, without="serving without it"):
        self.label = label
        self.retry_seconds = retry_seconds
        self.logger = logger
        self.without = without
        self._lock = threading.Lock()
        self._retry_at = None  # monotonic time of the next try while the server is down

    def failing(self):
        """Whether an outage is going on, due for a retry or not."""
        return self._retry_at is not None

    def skip(self):
        """Whether to give up without trying; False makes the caller the one who tries."""
        if self._retry_at is None:
            return False
        with self._lock:
            if self._retry_at is None:
                return False
            now = time.monotonic()
            if now < self._retry_at:
                return True
            self._retry_at = now + self.retry_seconds
            return False

    def failed(self, reason):
        with self._lock:
            first = self._retry_at is None
            self._retry_at = time.monotonic() + self.retry_seconds
        if first:
            self.logger.warning(
                "%s unavailable, %s (retrying every %gs): %s",
                self.label,
                self.without,
                self.retry_seconds,
                reason,
            )

    def succeeded(self):
        if self._retry_at is None:
            return
        with self._lock:
            back, self._retry_at = self._retry_at is not None, None
        if back:
            self.logger.info("%s is back", self.label)
