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
import os
import re
import secrets
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
# gunicorn runs with production settings, which refuse the public development key; the
# sessions signed here must match the server's key.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from accounts import roles  # noqa: E402
from bench.common import Client, gunicorn, percentile, session_for  # noqa: E402

FILTERS = [
    "stage=consultant",
    "risk_band=high",
    "industry=Retail&potential=regular",
    "revenue_min=500000&period=90",
    "stage=confidant&risk_band=medium&trails=on",
]


def lead_session() -> str:
    """A signed-in session for a sales lead."""
    return session_for(get_user_model().objects.filter(groups__name=roles.SALES_LEAD).first())


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

    with gunicorn(workers=options.workers) as server:
        client = Client(server.port, lead_session())
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


if __name__ == "__main__":
    main()
