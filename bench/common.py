"""What the benchmark scripts share: a gunicorn server on a loopback port, a signed-in
session, a keep-alive HTTP client and percentiles. Import after `django.setup()`."""

import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, ms: list[float], ceiling: float | None = None) -> None:
    """One line: count, p50, p95 and max in milliseconds, and p50 against the ceiling."""
    p50 = statistics.median(ms)
    ratio = f"  (p50 x{p50 / ceiling:.0f} the ceiling)" if ceiling else ""
    print(
        f"{name}: n={len(ms)} p50={p50:.1f} ms p95={percentile(ms, 0.95):.1f} ms "
        f"max={max(ms):.1f} ms{ratio}"
    )


def session_for(user) -> str:
    """The key of a signed-in session for `user`, as the login form would create it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None  # create() has given it one
    return session.session_key


class Server(NamedTuple):
    port: int
    pid: int  # gunicorn's master process


@contextlib.contextmanager
def gunicorn(*, workers: int, threads: int = 1, timeout: int = 30) -> Iterator[Server]:
    """Serve the app with production settings (static files collected, served compressed by
    WhiteNoise) on a free loopback port, until the block ends; yields it once it accepts
    connections."""
    call_command("collectstatic", "--noinput", verbosity=0)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--timeout", str(timeout),
         "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "0"},
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield Server(port, server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


class Client:
    """One keep-alive connection to the server, signed in with a session cookie."""

    def __init__(self, port: int, cookie: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes, dict, float]:
        started = time.perf_counter()
        self.connection.request("GET", path, headers={**self.headers, **(headers or {})})
        response = self.connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        return response.status, body, dict(response.getheaders()), elapsed


class TreeMemory:
    """Samples, every `every` seconds while the block runs, the memory of processes and all
    their descendants, summed as PSS (each shared page counted once, in shares: forked
    workers' copy-on-write pages are not double-counted); `peak_mib` is the largest sum seen.
    Linux only (reads /proc)."""

    def __init__(self, *pids: int, every: float = 0.2) -> None:
        import threading

        self.pids, self.every, self.peak_mib = list(pids), every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def add(self, pid: int) -> None:
        self.pids.append(pid)

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            total = sum(_pss_kib(pid) for pid in _with_descendants(self.pids))
            self.peak_mib = max(self.peak_mib, total / 1024)


def _with_descendants(roots: list[int]) -> set[int]:
    seen, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(child) for child in task.read_text().split())
    return seen


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
