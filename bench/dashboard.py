"""Benchmark: the portfolio dashboard under gunicorn, against a trivial view of the same app.

Usage (PostgreSQL, holding the large demo portfolio from `make seed-large`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relationships_bench \\
        .venv/bin/python bench/dashboard.py [--requests 200] [--workers 2]

Starts gunicorn on a loopback port with production settings (static files collected and
served compressed by WhiteNoise), signs a sales lead in, and sends a bounded number of
requests from this process, one at a time (so each response time is the server's time plus
loopback), to:
- /healthz, a trivial view of the same app under the same server: the ceiling;
- /dashboard/, the full page;
- /dashboard/?... with HX-Request, the fragment a filter change asks for (a few filter sets in
  turn).
Reports p50, p95 and max of each, their ratio to the ceiling, and the bytes a first visit to
the dashboard transfers (the page and every script and stylesheet it loads, compressed as a
browser would accept them). Figures go to docs/benchmarks.md.
"""

import argparse
import gzip
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,  # noqa: E402
)
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts import roles  # noqa: E402

FILTERS = [
    "stage=consultant",
    "risk_band=high",
    "industry=Retail&potential=regular",
    "revenue_min=500000&period=90",
    "stage=confidant&risk_band=medium&trails=on",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lead_session() -> str:
    """A signed-in session for a sales lead, as the login form would create it."""
    lead = get_user_model().objects.filter(groups__name=roles.SALES_LEAD).first()
    session = SessionStore()
    session[SESSION_KEY] = str(lead.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = lead.get_session_auth_hash()
    session.create()
    return session.session_key


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Client:
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


def measure(client: Client, paths: list[str], requests: int, headers=None) -> list[float]:
    times = []
    for n in range(requests):
        status, body, _, elapsed = client.get(paths[n % len(paths)], headers)
        assert status == 200, (status, body[:300])
        times.append(elapsed * 1000)
    return times


def first_visit_bytes(client: Client) -> tuple[int, list[tuple[str, int]]]:
    """Bytes on the wire for the page and each asset it links, accepting br and gzip."""
    accept = {"Accept-Encoding": "br, gzip"}
    _, page, headers, _ = client.get("/dashboard/", accept)
    parts = [("/dashboard/ (HTML)", len(page))]
    if headers.get("Content-Encoding") == "gzip":
        page = gzip.decompress(page)
    for asset in re.findall(rb'(?:src|href)="(/static/[^"]+)"', page):
        _, body, _, _ = client.get(asset.decode(), accept)
        parts.append((asset.decode(), len(body)))
    return sum(size for _, size in parts), parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    call_command("collectstatic", "--noinput", verbosity=0)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(options.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "0"},
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        client = Client(port, lead_session())
        # Warm every worker: connections, templates, the first queries.
        measure(client, ["/dashboard/"], 2 * options.workers)
        measure(
            client, [f"/dashboard/?{f}" for f in FILTERS], 2 * len(FILTERS), {"HX-Request": "true"}
        )

        results = {
            "trivial view /healthz (ceiling)": measure(client, ["/healthz"], options.requests),
            "dashboard, full page": measure(client, ["/dashboard/"], options.requests),
            "dashboard, filter fragment": measure(
                client,
                [f"/dashboard/?{f}" for f in FILTERS],
                options.requests,
                {"HX-Request": "true"},
            ),
        }
        ceiling = statistics.median(results["trivial view /healthz (ceiling)"])
        print(f"gunicorn, {options.workers} workers, loopback; {options.requests} requests each")
        for name, times in results.items():
            p50 = statistics.median(times)
            print(
                f"{name}: p50={p50:.1f} ms p95={percentile(times, 0.95):.1f} ms "
                f"max={max(times):.1f} ms  (p50 x{p50 / ceiling:.0f} the ceiling)"
            )
        print("per filter set (fragment; the last one is a reset to the whole portfolio):")
        for query in [*FILTERS, "period=30"]:
            times = measure(
                client, [f"/dashboard/?{query}"], options.requests // 4, {"HX-Request": "true"}
            )
            print(
                f"  {query}: p50={statistics.median(times):.1f} ms "
                f"p95={percentile(times, 0.95):.1f} ms"
            )
        total, parts = first_visit_bytes(client)
        print(f"first visit transfers {total / 1024:.0f} KiB:")
        for name, size in parts:
            print(f"  {size / 1024:8.1f} KiB  {name}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
