"""Django's PostgreSQL backend, bounded on the client side.

The server bounds what it can: `connect_timeout` and `statement_timeout` come from the
settings (DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT). What it cannot bound is its
own hang, so here every query, commit and rollback runs under a deadline a little past the
statement timeout, and the health check of a reused connection under a short one
(deadlines.py). After a failure to connect or a query deadline that fired, the server is left
alone for a while (blog.circuit): connections then fail at once, so an outage costs one
request a timeout per interval instead of every request its own, and the first try that
succeeds ends it, without a restart.

OPTIONS of ours, removed before the rest reach psycopg: "client_timeout" (seconds one call
may wait), "health_check_timeout" and "retry_seconds".
"""

import logging

from django.db import OperationalError
from django.db.backends.postgresql import base

from .. import circuit
from .deadlines import watchdog

logger = logging.getLogger("blog.database")

OUR_OPTIONS = {"client_timeout": 12.0, "health_check_timeout": 0.5, "retry_seconds": 2.0}


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, settings_dict, alias="default"):
        super().__init__(settings_dict, alias)
        options = self.settings_dict.get("OPTIONS", {})
        ours = {name: float(options.get(name, default)) for name, default in OUR_OPTIONS.items()}
        self.client_timeout = ours["client_timeout"]
        self.health_check_timeout = ours["health_check_timeout"]
        self.retry_seconds = ours["retry_seconds"]
        self.execute_wrappers.append(self._bounded_execute)

    @property
    def circuit(self):
        # Looked up each time: the test runner renames the database after __init__.
        host, port, name = (self.settings_dict[key] for key in ("HOST", "PORT", "NAME"))
        return circuit.shared(
            ("database", host, port, name),
            f"Database {name} at {host or 'socket'}:{port or 5432}",
            self.retry_seconds,
            logger,
            "answering 503",
        )

    def get_connection_params(self):
        params = super().get_connection_params()
        for name in OUR_OPTIONS:
            params.pop(name, None)
        return params

    def get_new_connection(self, conn_params):
        if self.circuit.skip():
            raise OperationalError(
                f"{self.circuit.label} is unavailable; the next try is due within "
                f"{self.circuit.retry_seconds:g}s"
            )
        try:
            connection = super().get_new_connection(conn_params)
        except base.Database.OperationalError as error:
            self.circuit.failed(f"{type(error).__name__}: {error}")
            raise
        self.circuit.succeeded()
        return connection

    def _bound(self, seconds, hung=True):
        def gave_up():
            self.circuit.failed(f"no answer within {seconds:g}s")

        return watchdog.bound(self.connection, seconds, gave_up if hung else None)

    def _bounded_execute(self, execute, sql, params, many, context):
        with self._bound(self.client_timeout) as deadline:
            result = execute(sql, params, many, context)
        if deadline.expired:
            # The answer came, but the connection is gone with its socket: whatever follows
            # in this transaction would fail, so this is the error, and Django closes it.
            raise base.Database.OperationalError(
                "the database answered past its deadline; its connection was closed"
            )
        return result

    def _commit(self):
        with self._bound(self.client_timeout):
            return super()._commit()

    def _rollback(self):
        with self._bound(self.client_timeout):
            return super()._rollback()

    def is_usable(self):
        if self.circuit.failing():
            # Closed instead: reconnecting fails at once until the next try is due.
            return False
        # A slow answer here may be a busy machine rather than a hung server: the connection
        # is replaced, and only if connecting fails too is the database taken for down.
        with self._bound(self.health_check_timeout, hung=False) as deadline:
            usable = super().is_usable()
        # Answered in time, but its socket may have been shut as it did (see Deadline): a
        # connection used after that fails its next query, a false outage under load.
        return usable and not deadline.expired
