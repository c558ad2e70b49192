"""`make bench`, last part: the site under load, served the production way.

gunicorn with the production settings (DJANGO_DEBUG=0, a secret key made for the run,
DJANGO_ALLOWED_HOSTS=127.0.0.1) on a free port of 127.0.0.1, over a scratch database of its
own (data/bench/load.sqlite3; a PostgreSQL database blog_bench_load on BENCH_POSTGRES, with
the shared Redis as its cache in a database number of its own when it answers), filled as
the search benchmark fills its own: the demo articles plus synthetic posts.

BENCH_LOAD_CONNECTIONS clients (64) ask for a mix of the site's pages for BENCH_LOAD_SECONDS
(60), each one request after another, after a warm-up that asks for every kind of page
BENCH_LOAD_WARMUP (3) times per worker. The report gives requests/s and latency per kind of
page as milliseconds and as a ratio to robots.txt under the same load, and the resident memory
of gunicorn's master and workers (from /proc, every second), the first 10 s against the last
10 s. Any 5xx, connection error, timeout, unexpected status or replaced worker is an error;
the run fails (exit 1) on any error or on memory growth over BENCH_LOAD_MAX_GROWTH percent
(10).
"""

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import KIND_HEADER, Kind, fetch, run_load, server_memory  # noqa: E402
from scratch import scratch_postgres  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "data" / "bench"
# Tests use database 15 of the shared Redis; this run keeps to 14 and empties it afterwards.
REDIS = os.environ.get("BENCH_LOAD_REDIS", "redis://127.0.0.1:6379/14")
MEMORY_WINDOW = 10.0

# Which variables of the caller's environment the site must not inherit: the run sets its own.
OWN_VARIABLES = ("DJANGO_", "BLOG_", "DATABASE_URL", "REDIS_URL")

# What a reader's browser and a feed reader ask for, roughly in these proportions.
MIX = {
    "home": 8,
    "home, page n": 6,
    "article": 30,
    "category": 8,
    "tag": 5,
    "archive": 2,
    "archive month": 5,
    "search": 8,
    "feed": 8,
    "feed, If-None-Match": 6,
    "sitemap": 0.5,
    "robots.txt": 4,
    "static file": 6,
    "404": 3,
}
BASELINE = "robots.txt"

# The scratch database filled as bench_search fills its own, after the demo articles.
FILL = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("load_demo")
if {posts}:
    call_command("bench_search", posts={posts}, repeat=1)
"""
# Addresses the site has, read from the scratch database with the bench settings.
DISCOVER = """
import json, random
from django.urls import reverse
from blog.management.commands.bench_search import QUERIES
from blog.models import Post
from blog.views import PostListView
posts = Post.objects.published().order_by()
slugs = list(posts.values_list("slug", flat=True))
def urls(name, field):
    values = posts.exclude(**{field: None}).values_list(field, flat=True).distinct()
    return [reverse(name, kwargs={"slug": v}) for v in values]
print(json.dumps({
    "articles": [reverse("blog:post", kwargs={"slug": s})
                 for s in random.Random(10).sample(slugs, min(300, len(slugs)))],
    "categories": urls("blog:category", "category__slug"),
    "tags": urls("blog:tag", "tags__slug"),
    "months": [reverse("blog:archive_month", kwargs={"year": m.year, "month": m.month})
               for m in posts.datetimes("published_at", "month")],
    "posts": len(slugs),
    "pages": -(-len(slugs) // PostListView.paginate_by),
    "queries": QUERIES,
}))
"""


def setting(name, default, kind=int):
    return kind(os.environ.get(name, default))


def site_env(database_url, redis_url=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def manage(env, *args, settings=None):
    env = {**env, "DJANGO_SETTINGS_MODULE": settings} if settings else env
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise RuntimeError(f"manage.py {args[0]} failed (exit {done.returncode}):\n{tail}")
    return done


def prepare(env, posts, collect_static):
    """Schema, the demo articles, synthetic posts up to `posts` (one Django start for all);
    collected static files; the site's addresses."""
    if collect_static:
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    fill = FILL.format(posts=int(posts))
    done = manage(env, "shell", "-c", fill + DISCOVER, settings="site_config.settings.bench")
    return json.loads(done.stdout.splitlines()[-1])


def gunicorn_settings():
    from gunicorn.config import Config

    return Config().settings


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn as the README's deployment runs it; stopped (by pid) when the block ends."""

    ACCESS_FORMAT = f"%(s)s %(D)s %({{{KIND_HEADER.lower()}}}i)s"

    def __init__(self, env, workers, logs):
        self.env, self.workers = env, workers
        self.log, self.access_log = logs.with_suffix(".log"), logs.with_suffix(".access.log")

    def __enter__(self):
        self.port = free_port()
        command = [
            sys.executable, "-m", "gunicorn", "site_config.wsgi",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            "--access-logfile", str(self.access_log), "--access-logformat", self.ACCESS_FORMAT,
        ]  # fmt: skip
        if "control_socket_disable" in gunicorn_settings():
            # gunicorn 25+ opens a control socket at one path in the home folder: a second
            # server on the machine (another run, a deployment) would take it over.
            command.append("--no-control-socket")
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _wait_ready(self):
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_tail()}")
            try:
                answered = fetch(self.port, ["/robots.txt"], timeout=5)["/robots.txt"][0]
                # Every worker booted too, so the memory samples start from the whole server.
                if answered == 200 and len(server_memory(self.process.pid)[1]) >= self.workers:
                    return
            except (OSError, EOFError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def stop(self):
        workers = server_memory(self.process.pid)[1]
        self.process.terminate()  # SIGTERM to the master: workers finish their request
        try:
            self.process.wait(timeout=35)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in workers:  # a worker its master could not end
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def log_tail(self, lines=60):
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def tracebacks(self, limit=2):
        """The first tracebacks the server logged, each with the line before it (Django's
        "Internal Server Error: /path") and the exception line that ends it."""
        lines = self.log.read_text(errors="replace").splitlines()
        found = []
        for i, line in enumerate(lines):
            if line.startswith("Traceback (most recent call last):") and len(found) < limit:
                end = i + 1
                while end < len(lines) and lines[end][:1].isspace():
                    end += 1
                found.append("\n".join(lines[max(0, i - 1) : end + 1]))
        return found

    def service_times(self):
        """kind -> [ms] the worker spent on each request (gunicorn's %(D)s), queue excluded."""
        times = {}
        for line in self.access_log.read_text(errors="replace").splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1].isdigit():
                times.setdefault(parts[2], []).append(int(parts[1]) / 1000)
        return times


def plan_for(port, site):
    """Every kind of page with its addresses; feeds' ETags and the stylesheet's (hashed)
    address are read from the running site."""
    articles = site["articles"] or ["/"]
    feeds = ["/feed/", "/feed/atom/", "/feed/json/"]
    for listing in site["categories"][:4] + site["tags"][:3]:
        feeds += [f"{listing}feed/", f"{listing}feed/atom/"]
    answers = fetch(port, [*feeds, "/"])
    revalidations = []
    for path in feeds:
        status, headers, _ = answers[path]
        if status != 200:
            raise RuntimeError(f"{path} answered {status} before the load began")
        if "etag" in headers:
            revalidations.append((path, [("If-None-Match", headers["etag"])]))
    status, _, home = answers["/"]
    stylesheet = re.search(rb'<link[^>]+href="(/static/[^"]+\.css)"', home)
    if status != 200 or not stylesheet:
        raise RuntimeError(f"the home page answered {status} without a stylesheet link")
    addresses = {
        "home": ["/"],
        "home, page n": [f"/?page={n}" for n in range(2, min(site["pages"], 20) + 1)],
        "article": articles,
        "category": site["categories"],
        "tag": site["tags"],
        "archive": ["/archive/"],
        "archive month": site["months"],
        "search": [f"/search/?q={quote(q)}" for q in site["queries"]],
        "feed": feeds,
        "sitemap": ["/sitemap.xml"],
        "robots.txt": ["/robots.txt"],
        "static file": [stylesheet.group(1).decode()],
        "404": [f"/posts/no-such-post-{n}/" for n in range(50)],
    }
    plan = {
        kind: Kind(MIX[kind], [(path, []) for path in paths])
        for kind, paths in addresses.items()
        if paths
    }
    if revalidations:
        plan["feed, If-None-Match"] = Kind(MIX["feed, If-None-Match"], revalidations,
                                           frozenset({304, 200}))  # fmt: skip
    plan["404"].expected = frozenset({404})
    return {kind: plan[kind] for kind in MIX if kind in plan}


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def memory_growth(samples, window=MEMORY_WINDOW):
    """(kB in the first window, kB in the last, percent growth, the window in seconds):
    means of the samples; a run shorter than 30 s compares its first and last thirds."""
    duration = samples[-1][0]
    window = min(window, duration / 3)
    first = [kb for t, kb, _ in samples if t <= window]
    last = [kb for t, kb, _ in samples if t >= duration - window]
    before, after = statistics.mean(first), statistics.mean(last)
    return before, after, (after - before) / before * 100, window


def summarise(tally, samples, wall, warmup_tally, service):
    kinds = {}
    for kind in sorted(tally.latencies, key=list(MIX).index):
        latencies = tally.latencies[kind]
        server = service.get(kind, [])
        kinds[kind] = {
            "count": len(latencies),
            "median_ms": statistics.median(latencies),
            "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99),
            "server_median_ms": statistics.median(server) if server else None,
            "statuses": dict(tally.statuses[kind]),
        }
    before, after, growth, window = memory_growth(samples)
    return {
        "requests": sum(k["count"] for k in kinds.values()),
        "seconds": wall,
        "kinds": kinds,
        "errors": tally.errors + warmup_tally.errors,
        "error_samples": warmup_tally.error_samples + tally.error_samples,
        "memory_first_kb": before,
        "memory_last_kb": after,
        "memory_growth_percent": growth,
        "memory_window_seconds": window,
        "workers_at_start": list(samples[0][2]),
        "workers_at_end": list(samples[-1][2]),
    }


def megabytes(kb):
    return f"{kb / 1024:.1f} MB"


def failures(summary, max_growth):
    """Why the run fails; empty when it passes."""
    found = []
    if summary["errors"]:
        found.append(
            f"{summary['errors']} error(s), e.g. " + "; ".join(summary["error_samples"][:5])
        )
    if summary["workers_at_start"] != summary["workers_at_end"]:
        found.append(f"workers replaced during the run: {summary['workers_at_start']} became "
                     f"{summary['workers_at_end']} (a worker timed out or died)")  # fmt: skip
    if summary["memory_growth_percent"] > max_growth:
        found.append(
            f"memory grew {summary['memory_growth_percent']:.1f} % (bound {max_growth:g} %): "
            f"{megabytes(summary['memory_first_kb'])} -> {megabytes(summary['memory_last_kb'])}"
        )
    if not summary["requests"]:
        found.append("no request was answered")
    return found


def report(name, summary, connections, workers):
    lines = [
        f"{name}: {summary['posts']} posts, gunicorn {workers} workers, {connections} connections, "
        f"{summary['seconds']:.0f} s: {summary['requests']} requests, "
        f"{summary['requests'] / summary['seconds']:.1f} requests/s, {summary['errors']} errors",
        f"  {'kind':<20} {'count':>6} {'median':>9} {'p95':>9} {'p99':>9} {'× ' + BASELINE:>13}"
        f" {'server':>9} {'× ' + BASELINE:>13}",
    ]
    base = summary["kinds"].get(BASELINE, {})
    for kind, k in summary["kinds"].items():
        ratio = k["median_ms"] / max(base.get("median_ms", 0), 0.01) if base else 0
        server = k["server_median_ms"]
        base_server = base.get("server_median_ms") or 0.01
        lines.append(
            f"  {kind:<20} {k['count']:>6} {k['median_ms']:>6.1f} ms {k['p95_ms']:>6.1f} ms"
            f" {k['p99_ms']:>6.1f} ms {ratio:>12.1f}×"
            + (f" {server:>6.1f} ms {server / base_server:>12.1f}×" if server is not None else "")
        )
    lines.append(
        f"  memory (resident, master + {len(summary['workers_at_end'])} workers): first "
        f"{summary['memory_window_seconds']:.0f} s {megabytes(summary['memory_first_kb'])}, "
        f"last {megabytes(summary['memory_last_kb'])}: {summary['memory_growth_percent']:+.1f} %"
    )
    return "\n".join(lines)


def run_one(name, database_url, *, redis_url=None, posts, seconds, connections, workers,
            warmup, collect_static=True, logs=None):  # fmt: skip
    """Fills the database, starts the site, loads it; the summary of the measured part."""
    env = site_env(database_url, redis_url)
    if redis_url:
        # Every cache key carries the code version: this run's entries are its own.
        env["BLOG_CODE_VERSION"] = f"bench-load-{secrets.token_hex(4)}"
    site = prepare(env, posts, collect_static)
    logs = logs or FOLDER / f"load-{name.split()[0].lower()}"
    with Server(env, workers, logs) as server:
        plan = plan_for(server.port, site)
        pid = server.process.pid
        warmup_tally, _, _ = run_load(server.port, plan, connections, pid,
                                      warmup_times=warmup * workers, label="warm-up")  # fmt: skip
        tally, samples, wall = run_load(server.port, plan, connections, pid, seconds=seconds)
        summary = summarise(tally, samples, wall, warmup_tally, server.service_times())
        summary["tracebacks"] = server.tracebacks()
    summary["memory_samples"] = [(round(t, 1), kb) for t, kb, _ in samples]
    summary["posts"] = site["posts"]
    return summary


def scratch_redis():
    """The shared Redis, our database number of it emptied; None when it does not answer."""
    import redis

    try:
        client = redis.Redis.from_url(REDIS, socket_connect_timeout=1, socket_timeout=2)
        client.flushdb()
    except redis.RedisError as exc:
        print(f"Redis not reachable at {REDIS}: {exc}; PostgreSQL with a local-memory cache.")
        return None
    return client


def main():
    seconds = setting("BENCH_LOAD_SECONDS", 60, float)
    connections = setting("BENCH_LOAD_CONNECTIONS", 64)
    posts = setting("BENCH_LOAD_POSTS", 10000)
    workers = setting("BENCH_LOAD_WORKERS", 3)
    warmup = setting("BENCH_LOAD_WARMUP", 3)
    max_growth = setting("BENCH_LOAD_MAX_GROWTH", 10, float)
    wanted = os.environ.get("BENCH_LOAD_DATABASES", "postgresql,sqlite").split(",")
    FOLDER.mkdir(parents=True, exist_ok=True)
    runs = []
    if "postgresql" in wanted and (postgres := scratch_postgres("blog_bench_load")):
        redis_client = scratch_redis()
        name = "PostgreSQL + Redis" if redis_client else "PostgreSQL"
        runs.append((name, postgres, REDIS if redis_client else None, redis_client))
    if "sqlite" in wanted:
        sqlite_file = FOLDER / "load.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        runs.append(("SQLite", f"sqlite:///{sqlite_file}", None, None))
    failed = False
    for name, url, redis_url, redis_client in runs:
        try:
            summary = run_one(name, url, redis_url=redis_url, posts=posts, seconds=seconds,
                              connections=connections, workers=workers, warmup=warmup)  # fmt: skip
        finally:
            if redis_client is not None:
                redis_client.flushdb()  # only our database number
        logs = FOLDER / f"load-{name.split()[0].lower()}.json"
        logs.write_text(json.dumps(summary, indent=1, ensure_ascii=False))
        print(report(name, summary, connections, workers), flush=True)
        for problem in failures(summary, max_growth):
            failed = True
            print(f"  LOAD TEST FAILED ({name}): {problem}", flush=True)
        for traceback in summary["tracebacks"]:
            print(f"  the server logged:\n{traceback}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
