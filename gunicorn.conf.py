"""gunicorn's settings for the site, read from the working directory (run gunicorn from the
project folder, or pass `-c gunicorn.conf.py`); flags on the command line override them.

Threads, so that a request waiting on the database or the cache does not hold up the static
files, robots.txt and cached pages queued behind it. The worker timeout is a last resort,
well above the longest a request may wait by design: 3 s to connect to the database, 10 s a
statement (12 s when the server stops answering, blog/postgresql/), 0.5 s for Redis once per
outage interval (blog/cache_backend.py).
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 30
# A restart or reload lets requests in flight finish, which the bounds above guarantee.
graceful_timeout = 30
keepalive = 5
