"""Development: `make run`. Never used when DJANGO_DEBUG is not 1."""

from .base import *  # noqa: F403
from .base import MIDDLEWARE, around_security, env

BLOG_DEVELOPMENT = True
# A wrong address shows the site's own 404 and a crash its own 500, as readers will see them
# (the traceback is in the console); Django's debug pages only when asked for.
DEBUG = env.bool("BLOG_DEBUG_PAGES", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-not-secret-7e1f0c2a")
# An empty DJANGO_ALLOWED_HOSTS (a .env file's blank line) means the local defaults too.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[]) or ["127.0.0.1", "localhost", "[::1]"]

# Static files straight from static/ (no collectstatic), with or without DEBUG: runserver
# serves them only in DEBUG, WhiteNoise's finders always, and re-read on every change.
MIDDLEWARE = around_security(MIDDLEWARE, after=["whitenoise.middleware.WhiteNoiseMiddleware"])
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
