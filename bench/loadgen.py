"""The load generator of bench/load.py: clients over raw sockets, and the server's memory.

Each client is one connection that sends a request, reads the whole answer and sends the
next (keep-alive when the server offers it; gunicorn's sync workers close after each answer,
so the client then connects again, and the connect is part of the latency it measures).
Only 127.0.0.1 is ever addressed.
"""

import asyncio
import contextlib
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
# Sent with every request and written to gunicorn's access log with the time the worker
# took, so the server's own share of each latency can be told apart from the queue.
KIND_HEADER = "X-Bench-Kind"


class ProtocolError(Exception):
    """An answer that is not HTTP/1.x as we speak it."""


class _ClosedBeforeAnswer(Exception):
    """The server closed a reused connection before any byte of the answer (an idle
    keep-alive connection it had timed out): retried once on a new connection."""


class Connection:
    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.reader = self.writer = None

    async def get(self, path, headers=()):
        """(status, headers, body) of GET path; raises OSError, TimeoutError, EOFError or
        ProtocolError when there is no complete answer."""
        reused = self.writer is not None
        try:
            return await asyncio.wait_for(self._exchange(path, headers), self.timeout)
        except _ClosedBeforeAnswer:
            self.close()
            if not reused:
                raise ConnectionResetError("closed without answering") from None
            return await self.get(path, headers)
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def _exchange(self, path, headers):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "User-Agent: bench-load"]
        lines += [f"{name}: {value}" for name, value in headers]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _ClosedBeforeAnswer from None
            raise
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise ProtocolError(f"not an HTTP status line: {status_line[:80]!r}")
        status = int(rest[:3])
        answer = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                answer[name.strip().lower()] = value.strip()
        body, to_eof = await self._body(status, answer)
        closing = to_eof or version != "HTTP/1.1" or "close" in answer.get("connection", "")
        if closing:
            self.close()
        return status, answer, body

    async def _body(self, status, headers):
        if status in (204, 304) or status < 200:
            return b"", False
        if "chunked" in headers.get("transfer-encoding", ""):
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                        pass  # trailers
                    return b"".join(chunks), False
                chunks.append((await self.reader.readexactly(size + 2))[:-2])
        if "content-length" in headers:
            return await self.reader.readexactly(int(headers["content-length"])), False
        return await self.reader.read(), True


@dataclass
class Kind:
    """One kind of page in the mix: how often it is asked for, its addresses (each a path
    and extra headers), and the statuses that are right for it."""

    weight: float
    requests: list
    expected: frozenset = frozenset({200})


@dataclass
class Tally:
    latencies: dict = field(default_factory=dict)  # kind -> [ms]
    statuses: dict = field(default_factory=dict)  # kind -> Counter
    errors: int = 0
    error_samples: list = field(default_factory=list)

    def record(self, kind, status, ms):
        self.latencies.setdefault(kind, []).append(ms)
        self.statuses.setdefault(kind, Counter())[status] += 1

    def error(self, kind, path, what):
        self.errors += 1
        if len(self.error_samples) < 20:
            self.error_samples.append(f"{kind} {path}: {what}")


def mixed(plan, rng, deadline):
    """Requests picked by the mix's weights until the deadline (loop time)."""
    names = list(plan)
    weights = [plan[name].weight for name in names]
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        kind = rng.choices(names, weights)[0]
        yield kind, *rng.choice(plan[kind].requests)


def every_kind(plan, times, rng):
    """Each kind `times` times, shuffled: a warm-up in which every worker meets every kind
    of page (templates loaded, caches filled, the allocator at its working size)."""
    queue = [(kind, *rng.choice(plan[kind].requests)) for kind in plan for _ in range(times)]
    rng.shuffle(queue)
    return iter(queue)


async def _client(port, requests, plan, tally, timeout, label):
    connection = Connection(port, timeout)
    for kind, path, headers in requests:
        headers = [*headers, ("Accept-Encoding", "gzip"), (KIND_HEADER, label or kind)]
        began = time.perf_counter()
        try:
            status, _, _ = await connection.get(path, headers)
        except (OSError, TimeoutError, EOFError, ProtocolError, ValueError) as exc:
            tally.error(kind, path, f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(0.1)  # a refused connect must not spin
            continue
        tally.record(kind, status, (time.perf_counter() - began) * 1000)
        if status not in plan[kind].expected:
            tally.error(kind, path, f"status {status}")
    connection.close()


async def _sample_memory(master_pid, samples, stop, began):
    while not stop.is_set():
        samples.append((time.perf_counter() - began, *server_memory(master_pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def run_load(port, plan, connections, master_pid, *, seconds=None, warmup_times=None,
             timeout=30.0, label=None, seed=1):  # fmt: skip
    """Drives `connections` clients, for `seconds` over the mix or through `warmup_times`
    of every kind; returns the tally, the memory samples ((seconds since start, kB resident,
    worker pids), one a second) and the wall time."""

    async def main():
        tally, samples, stop = Tally(), [], asyncio.Event()
        began = time.perf_counter()
        sampler = asyncio.create_task(_sample_memory(master_pid, samples, stop, began))
        rng = random.Random(seed)
        if warmup_times:
            shared = every_kind(plan, warmup_times, rng)  # one queue that all clients drain
            streams = [shared] * connections
        else:
            deadline = asyncio.get_running_loop().time() + seconds
            streams = [mixed(plan, random.Random(seed * 1000 + i), deadline)
                       for i in range(connections)]  # fmt: skip
        await asyncio.gather(*(_client(port, s, plan, tally, timeout, label) for s in streams))
        wall = time.perf_counter() - began
        stop.set()
        await sampler
        return tally, samples, wall

    return asyncio.run(main())


def fetch(port, paths, headers=(), timeout=30.0, parallel=4):
    """{path: (status, headers, body)} outside the load, e.g. to read feeds' ETags."""

    async def drain(queue, answers):
        connection = Connection(port, timeout)
        try:
            for path in queue:
                answers[path] = await connection.get(path, [*headers, (KIND_HEADER, "setup")])
        finally:
            connection.close()

    async def main():
        answers, queue = {}, iter(paths)
        await asyncio.gather(*(drain(queue, answers) for _ in range(parallel)))
        return answers

    return asyncio.run(main())


def children(pid):
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            # The command name may hold spaces and parentheses: the fields follow the last ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def resident_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def server_memory(master_pid):
    """(kB resident of the gunicorn master and its workers, the workers' pids)."""
    workers = tuple(sorted(children(master_pid)))
    return resident_kb(master_pid) + sum(resident_kb(p) for p in workers), workers
