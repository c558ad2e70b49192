"""Production: DJANGO_DEBUG=0. Missing secrets stop the start with a message saying what to set."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env


def _required(name, hint):
    value = env.str(name, default="").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. With DJANGO_DEBUG=0 (production) it is required: {hint}"
        )
    return value


DEBUG = False
SECRET_KEY = _required(
    "DJANGO_SECRET_KEY",
    'set it to a long random string, e.g. python -c "import secrets; '
    'print(secrets.token_urlsafe(50))".',
)
ALLOWED_HOSTS = [
    h.strip()
    for h in _required(
        "DJANGO_ALLOWED_HOSTS", "set it to the site's host names, comma-separated."
    ).split(",")
    if h.strip()
]

# Persistent connections: a request reuses its worker thread's connection (health-checked
# once per request) instead of opening a new one, which costs more than most pages' queries.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)  # noqa: F405

# Only the static files change here: the media storage (a folder, or the S3 bucket of
# BLOG_S3_BUCKET) is base.py's.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "blog.storage.StaticStorage"}}  # noqa: F405
WHITENOISE_MAX_AGE = 3600
# Also serve straight from the app folders if `collectstatic` has not been run yet.
WHITENOISE_USE_FINDERS = True

# TLS ends at the proxy in front of us, which says how the client came in.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Django's own SECURE_SSL_REDIRECT cannot exempt hosts, so blog.middleware does the redirect:
# requests addressed to the machine itself (a health check, curl on the box) never passed
# the public proxy and are not sent to an HTTPS port that gunicorn does not listen on.
BLOG_HTTPS_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# WhiteNoise serves collectstatic's output with far-future headers for the hashed names.
MIDDLEWARE = around_security(  # noqa: F405
    MIDDLEWARE,  # noqa: F405
    before=["blog.middleware.HttpsRedirectMiddleware"],
    after=["whitenoise.middleware.WhiteNoiseMiddleware"],
)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Asking browsers to build HTTPS-only into themselves, for the whole domain and every
# subdomain, takes months to undo once anyone submits the domain: the domain's owner decides.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
# Only checks whose concern is met another way, and only while it is. W008 asks for Django's
# SECURE_SSL_REDIRECT, which cannot exempt the machine's own address: blog.middleware
# redirects instead, so with DJANGO_SECURE_SSL_REDIRECT=0 the warning is back. W021 asks for
# HSTS preload, left to DJANGO_HSTS_PRELOAD (above); once it is on, nothing is silenced.
SILENCED_SYSTEM_CHECKS = [
    *(["security.W008"] if BLOG_HTTPS_REDIRECT else []),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.request": {"level": "ERROR"}},
}
