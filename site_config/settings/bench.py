"""The benchmark (`make bench`): production-like, on a database of its own (DATABASE_URL)."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "bench-only-not-secret"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
