"""The load test of `make bench` (bench/load.py), kept from rotting: a few seconds against
the site it starts, its client against a server that fails, and its verdicts on made-up
results."""

import importlib.util
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("bench_load", BENCH / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # puts bench/ on sys.path, for its loadgen
    yield module
    sys.modules.pop("loadgen", None)


def test_a_short_run_serves_every_kind_of_page_without_errors(load, tmp_path):
    summary = load.run_one(
        "SQLite", f"sqlite:///{tmp_path / 'load.sqlite3'}", posts=0, seconds=3, connections=4,
        workers=2, warmup=1, collect_static=False, logs=tmp_path / "server",
    )  # fmt: skip
    assert summary["errors"] == 0, (summary["error_samples"], summary["tracebacks"])
    assert summary["requests"] > 20
    kinds = summary["kinds"]
    assert {"article", "robots.txt", "home"} <= set(kinds)
    for kind, figures in kinds.items():
        expected = {"404": {404}, "feed, If-None-Match": {200, 304}}.get(kind, {200})
        assert set(figures["statuses"]) <= expected, kind
        assert figures["server_median_ms"] is not None, kind  # matched in the access log
    assert len(summary["workers_at_end"]) == 2
    assert summary["memory_first_kb"] > 10_000
    assert load.failures(summary, max_growth=float("inf")) == []
    assert "requests/s" in load.report("SQLite", summary, 4, 2)


class _Answers(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's other servers may offer

    def do_GET(self):
        status = 500 if self.path == "/boom" else 200
        body = b"x" * 100
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_client_counts_server_errors_and_refused_connections(load):
    import loadgen

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        plan = {
            "ok": loadgen.Kind(1, [("/ok", [])]),
            "boom": loadgen.Kind(1, [("/boom", [])]),
        }
        tally, samples, _ = loadgen.run_load(
            server.server_address[1], plan, 2, os.getpid(), seconds=0.5
        )
    finally:
        server.shutdown()
        server.server_close()
    assert tally.statuses["ok"][200] > 5
    assert tally.errors == tally.statuses["boom"][500] > 0
    assert tally.error_samples[0] == "boom /boom: status 500"
    assert samples and samples[0][1] > 0

    refused, _, _ = loadgen.run_load(load.free_port(), plan, 2, os.getpid(), seconds=0.3)
    assert refused.errors > 0
    assert "ConnectionRefusedError" in refused.error_samples[0]


def made_up(load, *, statuses=(200,), memory=(200_000, 200_500), workers=((11, 12), (11, 12))):
    """A summary of a 60 s run: one request a second of each status, memory rising
    linearly from the first figure to the second (kB), the workers seen first and last."""
    from loadgen import Tally

    tally = Tally()
    plan_kinds = {200: "article", 404: "404", 500: "article"}
    for second in range(60):
        for status in statuses:
            kind = plan_kinds[status]
            tally.record(kind, status, 10.0 + second % 7)
            if status == 500:
                tally.error(kind, f"/posts/p{second}/", f"status {status}")
    start, end = memory
    samples = [
        (float(t), start + (end - start) * t // 60, workers[0] if t < 30 else workers[1])
        for t in range(61)
    ]
    return load.summarise(tally, samples, 60.0, Tally(), {"article": [5.0]})


def test_a_clean_run_passes(load):
    summary = made_up(load, statuses=(200, 404))
    assert summary["errors"] == 0
    assert summary["kinds"]["article"]["median_ms"] == 13.0
    assert load.failures(summary, max_growth=10) == []


def test_a_server_error_fails_the_run(load):
    (problem,) = load.failures(made_up(load, statuses=(200, 500)), max_growth=10)
    assert problem.startswith("60 error(s), e.g. article /posts/p0/: status 500")


def test_memory_growth_beyond_the_bound_fails_the_run(load):
    summary = made_up(load, memory=(200_000, 260_000))
    # The mean of the first 10 s against the last 10 s: 205 MB against 255 MB.
    assert summary["memory_growth_percent"] == pytest.approx(24.4, abs=0.1)
    (problem,) = load.failures(summary, max_growth=10)
    assert problem.startswith("memory grew 24.4 % (bound 10 %)")
    assert load.failures(summary, max_growth=30) == []


def test_a_replaced_worker_fails_the_run(load):
    (problem,) = load.failures(made_up(load, workers=((11, 12), (11, 13))), max_growth=10)
    assert "workers replaced during the run" in problem
