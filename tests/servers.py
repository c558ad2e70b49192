"""Private servers for the fault tests: a redis-server, a PostgreSQL and the site under gunicorn,
each on a free port of its own (never the shared 5432 or 6379), which a test may stop, start,
hang (SIGSTOP) and resume (SIGCONT). Every process is ended by its PID."""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from glob import glob
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(ready, what, process, log, seconds=20):
    deadline = time.monotonic() + seconds
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            output = Path(log).read_text(errors="replace")[-4000:]
            raise RuntimeError(f"{what} did not start:\n{output}")
        time.sleep(0.05)


def descendants(pid):
    """pid and every process below it (PostgreSQL's children lead process groups of their
    own, so signalling the postmaster's group would not reach them)."""
    children = {}
    for status in glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(status).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(status.split("/")[2]))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


class Server:
    process = None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def hang(self):
        for pid in descendants(self.process.pid):
            os.kill(pid, signal.SIGSTOP)

    def resume(self):
        for pid in descendants(self.process.pid):
            os.kill(pid, signal.SIGCONT)

    def stop(self, sig=signal.SIGTERM):
        if not self.running():
            return
        self.resume()  # a stopped process cannot act on a signal to end
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


class RedisServer(Server):
    def __init__(self, directory):
        self.port = free_port()
        self.directory = Path(directory)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        log = self.directory / "redis.log"
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
                + ["--save", "", "--appendonly", "no", "--dir", str(self.directory)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._answers, "redis-server", self.process, log)

    def _answers(self):
        try:
            return self.client().ping()
        except redis.exceptions.ConnectionError:
            return False

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def keys(self):
        return self.client().keys("blog:*")


def postgres_bin():
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def postgres_unavailable_reason():
    if postgres_bin() is None:
        return "no PostgreSQL server binaries (initdb) on this machine"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user for initdb to run as"
    return None


class PostgresServer(Server):
    """A throwaway cluster in a temporary folder. initdb and postgres refuse to run as root,
    so as root both run as the `postgres` user, who then owns the folder."""

    def __init__(self):
        self.port = free_port()
        self.bin = postgres_bin()
        self.directory = Path(tempfile.mkdtemp(prefix="blog-faults-pg-"))
        self.data = self.directory / "data"
        self.as_user = {}
        if os.geteuid() == 0:
            self.as_user = {"user": "postgres", "group": "postgres", "extra_groups": []}
            shutil.chown(self.directory, "postgres", "postgres")
        self.log = self.directory / "postgres.log"

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def init(self):
        subprocess.run(
            [self.bin / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust"]
            + ["-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True,
            capture_output=True,
            **self.as_user,
        )

    def start(self):
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [self.bin / "postgres", "-D", self.data, "-p", str(self.port)]
                + ["-k", self.directory, "-c", "listen_addresses=127.0.0.1"]
                + ["-c", "fsync=off", "-c", "full_page_writes=off"]
                + ["-c", "shared_buffers=16MB", "-c", "max_connections=40"],
                stdout=out,
                stderr=subprocess.STDOUT,
                **self.as_user,
            )
        wait_until(self._answers, "postgres", self.process, self.log)

    def _answers(self):
        import psycopg

        try:
            psycopg.connect(self.url, connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def stop(self, sig=signal.SIGINT):  # SIGINT: PostgreSQL's fast shutdown
        super().stop(sig)

    def remove(self):
        self.stop(signal.SIGQUIT)  # immediate: the cluster is thrown away
        shutil.rmtree(self.directory, ignore_errors=True)


class SiteServer(Server):
    """The site the production way: gunicorn with the production settings (DJANGO_DEBUG=0),
    and the gunicorn.conf.py of the project, as the README deploys it."""

    def __init__(self, directory, environment):
        self.port = free_port()
        self.directory = Path(directory)
        self.environment = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "faults-test-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_MEDIA_ROOT": str(self.directory / "media"),
            **environment,
        }
        self.environment.pop("DJANGO_SETTINGS_MODULE", None)
        self.log = self.directory / "gunicorn.log"

    def stop(self, sig=signal.SIGINT):  # gunicorn's quick shutdown: nothing left to finish
        super().stop(sig)

    def manage(self, *args):
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}")
        return done

    def start(self):
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [Path(sys.executable).parent / "gunicorn", "site_config.wsgi"]
                # Tests end it at once; production keeps gunicorn.conf.py's 30 s.
                + ["--graceful-timeout", "2"]
                + ["--bind", f"127.0.0.1:{self.port}"],
                cwd=ROOT,
                env=self.environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until(lambda: self._answers("/robots.txt"), "gunicorn", self.process, self.log)

    def _answers(self, path):
        try:
            return self.get(path, timeout=2)[0] == 200
        except OSError:
            return False

    def get(self, path, timeout=10, headers=None):
        """(status, headers, body, seconds); raises TimeoutError past `timeout`."""
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, body, time.monotonic() - started
