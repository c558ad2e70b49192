"""`make bench`: the site's pages under load beside a static file, on each server, and the
write path; a table on screen and in data/bench/report/ (Markdown and JSON).

    make bench                          2,000 posts, SQLite (Redis as the cache when it answers)
    make bench BENCH_POSTS=100000       100,000 posts; compared with the 2,000 run when there is one
    DATABASE_URL=postgres://… make bench    that PostgreSQL database instead (it is filled)

The posts come from bench/corpus.py through bench/fill.py (a SQLite file is kept between
runs of the same size: filling 100,000 takes a while). The site is served as deployed
(DJANGO_DEBUG=0, 2 workers, 127.0.0.1 only) by gunicorn with sync workers, gunicorn with
threads and granian, each with the page cache on and off; wrk (the Debian package) loads
each page for BENCH_SECONDS (5) at BENCH_CONNECTIONS (16) connections. The ceiling is the
bytes of the home page as a static file served by the same server (WhiteNoise), measured in
the same run; each page is reported as a share of it, with median and 99th-percentile
latency, queries per request (counted in process) and the workers' resident memory after
the runs.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "data" / "bench"
REPORT = FOLDER / "report"
POSTS = int(os.environ.get("BENCH_POSTS", "2000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = 2
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/12")
CEILING = "bench-ceiling.html"  # in STATIC_ROOT, served by WhiteNoise at /static/
# The variables of the caller's environment the site must not inherit: the run sets its own.
OWN_VARIABLES = ("DJANGO_", "BLOG_", "REDIS_URL", "GUNICORN_", "WEB_CONCURRENCY")

SERVERS = {
    "gunicorn sync": lambda port: [
        sys.executable, "-m", "gunicorn", "site_config.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS), "--worker-class", "sync", "--threads", "1",
    ],
    "gunicorn threads": lambda port: [
        sys.executable, "-m", "gunicorn", "site_config.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS), "--threads", "4",
    ],
    "granian": lambda port: [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(WORKERS), "--blocking-threads", "4",
        "--no-access-log", "site_config.wsgi:application",
    ],
}  # fmt: skip

GOALS = """\
| what | goal |
| --- | --- |
| cached pages and feeds, and 304s | at least 50% of the static ceiling's requests/s |
| uncached home, list and article pages | 10% of gunicorn's static ceiling; p99 under 50 ms |
| 100,000 posts against 2,000 | uncached median latency at most 1.5x on every page |
| worker memory after the runs | under 120 MB resident |
| saving a 30 KB article | under 150 ms |
| the writing room's preview of a typical article | under 200 ms |
| saving a 200 KB article from the admin's post form | under 1 s |
"""


def database():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return "PostgreSQL", url
    return "SQLite", f"sqlite:///{FOLDER / f'pages-{POSTS}.sqlite3'}"


def redis_url():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as probe:
            probe.sendall(b"PING\r\n")
            if probe.recv(16).startswith(b"+PONG"):
                return REDIS
    except OSError:
        pass
    return None


def environment(database_url, cache, page_cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        BLOG_PAGE_CACHE="1" if page_cache else "0",
    )
    if cache:
        env["REDIS_URL"] = cache
    return env


def run(args, env, **kwargs):
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise SystemExit(f"{' '.join(map(str, args[:3]))} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def flush(cache):
    if cache:
        import redis

        redis.Redis.from_url(cache).flushdb()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port, path, headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), b""


class Server:
    def __init__(self, name, env):
        self.name, self.env = name, env

    def __enter__(self):
        self.port = free_port()
        self.log = (FOLDER / f"server-{self.name.replace(' ', '-')}.log").open("w")
        self.process = subprocess.Popen(
            SERVERS[self.name](self.port), cwd=ROOT, env=self.env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited at start; see {self.log.name}")
            try:
                if get(self.port, "/robots.txt")[0] == 200 and len(self.workers()) >= WORKERS:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer within 60 s; see {self.log.name}")

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()

    def workers(self):
        """Resident memory (MB) of each process under the server's own."""
        found = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
            except OSError:
                continue
            if int(fields.get("PPid", "0")) == self.process.pid:
                found.append(int(fields["VmRSS"].split()[0]) / 1024)
        return found


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port, path, headers=()):
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    latency = {
        p: float(v) * UNITS[u]
        for p, v, u in re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\b", out, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": round(latency.get("50", 0), 2),
        "p99_ms": round(latency.get("99", 0), 2),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def measure_server(name, database_url, cache, pages, home_bytes):
    """{mode: {page: wrk result}} for one server, and its workers' memory after the runs."""
    results, memory = {}, []
    for page_cache in (True, False):
        flush(cache)
        with Server(name, environment(database_url, cache, page_cache)) as server:
            for path in pages.values():
                for _ in range(10):  # every worker has built and kept what it will serve
                    get(server.port, path)
            mode = "cached" if page_cache else "uncached"
            results[mode] = {page: wrk(server.port, path) for page, path in pages.items()}
            if page_cache:
                results["If-None-Match"] = {}
                for page, path in pages.items():
                    etag = get(server.port, path)[1].get("ETag")
                    results["If-None-Match"][page] = wrk(
                        server.port, path, [f"If-None-Match: {etag}"]
                    )
                results["ceiling"] = wrk(server.port, f"/static/{CEILING}")
                status, _headers, body = get(server.port, f"/static/{CEILING}")
                assert status == 200 and body == home_bytes, "the ceiling is not the home page"
            memory = [round(mb, 1) for mb in server.workers()]
    results["memory_mb"] = memory
    return results


def table(report):
    pages = list(report["pages"])
    lines = []
    for name, result in report["servers"].items():
        ceiling = result["ceiling"]["rps"]
        lines += [
            f"\n**{name}** — static ceiling {ceiling:,.0f} req/s (p50 "
            f"{result['ceiling']['p50_ms']} ms, p99 {result['ceiling']['p99_ms']} ms); "
            f"workers after the runs: {', '.join(f'{m} MB' for m in result['memory_mb'])}\n",
            "| page | mode | req/s | share of ceiling | p50 ms | p99 ms | queries |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for page in pages:
            for mode in ("cached", "If-None-Match", "uncached"):
                row = result[mode][page]
                queries = report["queries"][page]["cached" if mode != "uncached" else "built"]
                flag = " (errors!)" if row["errors"] or row["socket_errors"] else ""
                lines.append(
                    f"| {page} | {mode} | {row['rps']:,.0f}{flag} | {row['rps'] / ceiling:.1%} "
                    f"| {row['p50_ms']} | {row['p99_ms']} | {queries} |"
                )
    return "\n".join(lines)


def verdicts(report, smaller):
    servers = report["servers"]
    out = []
    for name, result in servers.items():
        ceiling = result["ceiling"]["rps"]
        hits = [r["rps"] / ceiling for m in ("cached", "If-None-Match") for r in result[m].values()]
        out.append(f"- {name}: cached pages and 304s at {min(hits):.0%}–{max(hits):.0%} of its "
                   f"ceiling (goal 50%)")  # fmt: skip
        out.append(f"- {name}: workers {max(result['memory_mb'], default=0)} MB at most "
                   f"(goal under 120 MB)")  # fmt: skip
    gunicorn_ceiling = servers["gunicorn sync"]["ceiling"]["rps"]
    for name, result in servers.items():
        for page in ("home", "page 2", "deep page", "category", "tag", "article"):
            row = result["uncached"][page]
            share = row["rps"] / gunicorn_ceiling
            ok = share >= 0.10 and row["p99_ms"] < 50
            out.append(f"- {name}, {page} uncached: {share:.1%} of gunicorn's ceiling, p99 "
                       f"{row['p99_ms']} ms: {'meets' if ok else 'MISSES'} the goal")  # fmt: skip
    if smaller:
        for name, result in servers.items():
            for page, row in result["uncached"].items():
                before = smaller["servers"][name]["uncached"][page]["p50_ms"]
                ratio = row["p50_ms"] / max(before, 0.01)
                out.append(f"- {name}, {page}: uncached median {row['p50_ms']} ms at "
                           f"{report['posts']:,} posts against {before} ms at "
                           f"{smaller['posts']:,}: {ratio:.2f}x (goal 1.5x)")  # fmt: skip
    if "writes" in report:
        save = report["writes"]["save_30kb_ms"]
        out.append(f"- saving a 30 KB article: {save} ms (goal under 150 ms)")
    if room := report.get("writing_room"):
        form = max(room["admin_form_ms"], 0.01)
        for label, key, goal in (
            ("the preview of a typical article", "preview_ms", 200),
            ("saving a 200 KB article from the post form", "save_200kb_ms", 1000),
        ):
            verdict = "meets" if room[key] < goal else "MISSES"
            out.append(
                f"- {label}: {room[key]} ms, {room[key] / form:.1f}x the admin's post form "
                f"({room['admin_form_ms']} ms): {verdict} the goal of {goal} ms"
            )
    return "\n".join(out)


def writing_room_lines(room):
    return (
        f"the admin's post form (GET, the baseline): {room['admin_form_ms']} ms; the live "
        f"preview of a {room['preview_bytes']:,}-byte article: {room['preview_ms']} ms (median "
        f"of 10), of a {room['preview_30kb_bytes']:,}-byte one: {room['preview_30kb_ms']} ms; "
        f"saving a {room['save_200kb_bytes']:,}-byte article from the post form "
        f"(validation, render, checks, index, redirect): {room['save_200kb_ms']} ms (median of 3)"
    )


def main():
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk (Debian's package).")
    FOLDER.mkdir(parents=True, exist_ok=True)
    REPORT.mkdir(parents=True, exist_ok=True)
    kind, database_url = database()
    cache = redis_url()
    env = environment(database_url, cache, True)
    settings = {**env, "DJANGO_SETTINGS_MODULE": "site_config.settings.bench"}
    python = sys.executable
    print(f"{POSTS:,} posts on {kind}; cache: {cache or 'local memory'}", flush=True)
    run([python, "manage.py", "migrate", "--verbosity", "0"], settings)
    filled = json.loads(run([python, "bench/fill.py", "--posts", str(POSTS)], settings))
    print(f"filled in {filled['fill_seconds']} s", flush=True)
    run([python, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], env)
    measured = json.loads(run([python, "bench/inprocess.py"], settings).splitlines()[-1])
    report = {"posts": POSTS, "database": kind, "cache": cache or "local memory",
              "seconds": SECONDS, "connections": CONNECTIONS, **measured}  # fmt: skip
    ceiling = ROOT / "staticfiles" / CEILING
    with Server("gunicorn sync", env) as server:
        home = get(server.port, "/")[2]
    ceiling.write_bytes(home)
    try:
        report["servers"] = {}
        for name in SERVERS:
            print(f"loading the pages on {name}…", flush=True)
            report["servers"][name] = measure_server(name, database_url, cache, report["pages"],
                                                     home)  # fmt: skip
    finally:
        ceiling.unlink(missing_ok=True)
        flush(cache)
    smaller_file = REPORT / f"pages-{kind.lower()}-2000.json"
    smaller = (
        json.loads(smaller_file.read_text()) if POSTS > 2000 and smaller_file.exists() else None
    )
    writes = report["writes"]
    text = "\n".join([
        f"# Benchmark: {POSTS:,} posts, {kind}, cache {report['cache']}",
        f"\nwrk -t2 -c{CONNECTIONS} -d{SECONDS}s per row; {WORKERS} workers per server.",
        table(report),
        "\n## Write path\n",
        f"saving a {writes['save_30kb_bytes']:,}-byte article (render, sanitize, index): "
        f"{writes['save_30kb_ms']} ms (median of 5); re-rendering all "
        f"{writes['rerender_posts']:,} posts: {writes['rerender_all_seconds']} s "
        f"({writes['rerender_ms_per_post']} ms a post, measured on "
        f"{writes['rerender_measured_posts']:,})",
        "\n## Writing room (through the admin, in process)\n",
        writing_room_lines(report["writing_room"]),
        "\n## Goals\n", GOALS, verdicts(report, smaller),
    ])  # fmt: skip
    name = f"pages-{kind.lower()}-{POSTS}"
    (REPORT / f"{name}.md").write_text(text + "\n")
    (REPORT / f"{name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(text)
    print(f"\nWritten to {REPORT / name}.md and .json")


if __name__ == "__main__":
    main()
