"""`make bench`: search latency over 10,000 and 100,000 posts on SQLite and PostgreSQL.

Each database is a scratch one of its own (a file under data/bench/, a PostgreSQL database
named blog_bench), filled with synthetic posts made from the demo articles' paragraphs. The
same queries also run as a plain scan of the stored text, the baseline the index is measured
against in the same run; the report gives both and their ratio.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import scratch_postgres  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",")]


def manage(database_url, *args):
    env = {**os.environ, "DATABASE_URL": database_url,
           "DJANGO_SETTINGS_MODULE": "site_config.settings.bench"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    )  # fmt: skip


def main():
    folder = ROOT / "data" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    sqlite_file = folder / "bench.sqlite3"
    sqlite_file.unlink(missing_ok=True)
    databases = [("SQLite", f"sqlite:///{sqlite_file}")]
    if postgres := scratch_postgres("blog_bench"):
        databases.append(("PostgreSQL", postgres))
    rows = []
    for name, url in databases:
        manage(url, "migrate", "--verbosity", "0")
        for size in SIZES:
            scan_repeat = "1"
            out = manage(url, "bench_search", "--posts", str(size), "--scan-repeat", scan_repeat)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append((name, result))
            index, scan = result["index"], result["scan"]
            print(
                f"{name:<10} {result['posts']:>7} posts  index median {index['median_ms']:>7.2f} ms"
                f"  p95 {index['p95_ms']:>7.2f} ms  |  scan median {scan['median_ms']:>8.1f} ms"
                f"  ->  index is {scan['median_ms'] / max(index['median_ms'], 0.01):.0f}x faster"
                f"  |  search page median {result['page']['median_ms']:>7.2f} ms"
                f"  p95 {result['page']['p95_ms']:>7.2f} ms"
                f"  (filled in {result['fill_seconds']} s)",
                flush=True,
            )
    print("\nRenaming the biggest category (largest size), against indexing its posts one by one:")
    for name, url in databases:
        writes = json.loads(manage(url, "bench_writes").stdout.strip().splitlines()[-1])
        per_post = writes["one_by_one_ms_per_post"]
        print(
            f"  {name:<10} {writes['posts_in_category']:>6} posts renamed in "
            f"{writes['rename_seconds']:.2f} s; one by one: {per_post:.2f} ms a post "
            f"(measured on {min(300, writes['posts_in_category'])}), "
            f"{writes['one_by_one_seconds_estimated']:.0f} s for all -> "
            f"{writes['one_by_one_seconds_estimated'] / max(writes['rename_seconds'], 0.01):.0f}x;"
            f" edit times unchanged: {writes['edit_times_unchanged']}",
            flush=True,
        )
    print("\nPages through the whole Django stack (median ms, SQLite, largest size):")
    pages = json.loads(manage(databases[0][1], "bench_pages").stdout.strip().splitlines()[-1])
    for name, ms in pages.items():
        print(f"  {name:<18} {ms:>8.2f} ms")
    ratio = pages["feed built"] / max(pages["feed from cache"], 0.01)
    print(f"  the cache serves a built feed {ratio:.0f}x faster than building it")

    print("\nMatches per query at the largest size:")
    for name, result in rows:
        if result["posts"] == max(SIZES):
            print(f"  {name}: {json.dumps(result['index']['matches'], ensure_ascii=False)}")
    goal = [r for n, r in rows if r["posts"] >= 100_000]
    for result in goal:
        verdict = "meets" if result["index"]["median_ms"] < 50 else "MISSES"
        print(f"Goal (median under 50 ms at 100,000 posts) on {result['database']}: {verdict}")

    print("\nRendering one article (bench/bench_render.py):", flush=True)
    subprocess.run([sys.executable, str(ROOT / "bench" / "bench_render.py")], check=True)


if __name__ == "__main__":
    main()
    # Last, on databases of its own; a failed load test fails the benchmark.
    print("\nThe site under load, served as in production (bench/load.py):", flush=True)
    sys.exit(subprocess.run([sys.executable, str(ROOT / "bench" / "load.py")]).returncode)
