"""Deadlines on calls to the database that the server itself cannot enforce.

A server that hangs (SIGSTOP, a frozen VM, a dead disk) still has its TCP connections
acknowledged by the kernel, so neither TCP keepalives nor tcp_user_timeout notice anything,
and its statement_timeout cannot fire either. The client waits for an answer that never
comes. A watchdog thread (one per process) shuts down the socket of a call that outlives its
deadline; the waiting psycopg call then sees the connection closed and raises
OperationalError, which gives control back to the request.
"""

import logging
import os
import socket
import threading
import time
from contextlib import contextmanager

logger = logging.getLogger("blog.database")


class Deadline:
    expired = False


class Watchdog:
    def __init__(self):
        self._wake = threading.Condition()
        self._due = {}  # token -> (monotonic deadline, psycopg connection, on_expiry)
        self._thread = None

    @contextmanager
    def bound(self, connection, seconds, on_expiry=None):
        """Shuts `connection` down if the block still runs after `seconds`. Yields a Deadline
        whose `expired` says, once the block is over, whether that happened: a call can
        return just before the watchdog, woken at the same moment, shuts its socket, and the
        connection is then dead though the call succeeded."""
        deadline = Deadline()
        if connection is None or not seconds:
            yield deadline
            return
        token = deadline
        with self._wake:
            self._due[token] = (time.monotonic() + seconds, connection, on_expiry)
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._thread = threading.Thread(
                    target=self._watch, name="database-deadlines", daemon=True
                )
                self._thread.start()
            self._wake.notify()
        try:
            yield deadline
        finally:
            with self._wake:
                self._due.pop(token, None)

    def _watch(self):
        with self._wake:
            while True:
                now = time.monotonic()
                for token, (deadline, connection, on_expiry) in list(self._due.items()):
                    if deadline <= now:
                        # Under the lock: the call cannot have finished and handed the
                        # connection to the next query in the meantime.
                        del self._due[token]
                        token.expired = True
                        self._expire(connection, on_expiry)
                pending = [deadline for deadline, _, _ in self._due.values()]
                self._wake.wait(timeout=min(pending) - now if pending else None)

    @staticmethod
    def _expire(connection, on_expiry):
        try:
            descriptor = os.dup(connection.fileno())
        except Exception:  # closed meanwhile: nothing left to unblock
            return
        try:
            with socket.socket(fileno=descriptor) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError as error:
            logger.debug("Could not shut down a database socket: %s", error)
        if on_expiry is not None:
            on_expiry()


watchdog = Watchdog()
