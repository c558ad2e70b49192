"""The site's own 503 page while the database cannot be reached.

A database that is down, hung (given up on by blog/postgresql/), refusing connections or
timing out raises OperationalError or InterfaceError somewhere in the request; readers then
get templates/503.html with Retry-After instead of a 500. The page is rendered from the
settings alone (no request context, so no context processor runs a query), and nothing is
remembered: the next request tries the database again, so the site recovers by itself.
"""

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from . import language

logger = logging.getLogger("blog.outage")

# How soon a client (a crawler above all) may come back: long enough not to hammer a
# recovering database, short enough that a brief outage does not drop pages from an index.
RETRY_AFTER_SECONDS = 30

DATABASE_ERRORS = (OperationalError, InterfaceError)
try:
    import psycopg

    # Raised outside Django's wrappers, e.g. while a connection is being set up.
    DATABASE_ERRORS += (psycopg.OperationalError, psycopg.InterfaceError)
except ImportError:  # SQLite-only installs
    pass


def unavailable(request, error):
    logger.warning(
        "Database unavailable, answering 503 to %s %s: %s: %s",
        request.method,
        request.path,
        type(error).__name__,
        error,
    )
    try:
        # In the reader's language, whether or not the language middleware has run yet (the
        # page cache and the session come before it).
        with translation.override(language.for_request(request)):
            html = render_to_string("503.html", {"blog": settings.BLOG})
    except Exception:  # the page must not fail in turn; an outage still answers 503
        logger.exception("The 503 page could not be rendered")
        html = "<!doctype html><title>Temporarily unavailable</title><p>Back in a moment."
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)  # no proxy or page cache may keep an outage
    return response


class DatabaseOutageMiddleware:
    """Turns a database error into the 503 page: from the view or its template through
    process_exception, and from a middleware inside this one (sessions, the login throttle)
    through the error Django reports before answering 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        error = getattr(request, "_database_error", None)
        if error is not None and response.status_code == 500:
            return unavailable(request, error)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return unavailable(request, exception)
        return None


def _note_database_error(sender, request=None, **kwargs):
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, DATABASE_ERRORS):
        request._database_error = error


got_request_exception.connect(_note_database_error, dispatch_uid="blog.outage")
