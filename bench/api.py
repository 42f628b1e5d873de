"""Benchmark: the API's account list (a page of 100) under gunicorn, against a trivial view.

Usage (PostgreSQL, holding the large demo portfolio: `bench/seed_demo.py --runs 1`, then
`manage.py recompute_scores`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/api_bench \\
        .venv/bin/python bench/api.py [--requests 200] [--workers 2]

Starts gunicorn on a loopback port with production settings, makes a personal token for a
sales lead (the whole portfolio) and one for an account manager (their own accounts), and
sends a bounded number of requests from this process, one at a time, to:
- /healthz, a trivial view of the same app under the same server: the ceiling;
- /api/v1/accounts, a page of 100, at offsets across the whole portfolio;
- /api/v1/accounts with the dashboard's filters (a few filter sets in turn);
- /api/v1/accounts for the manager's token;
- /api/v1/accounts/<id>, one account with its standing and why.
Reports p50, p95 and max of each. The tokens are revoked at the end. Figures go to
docs/benchmarks.md; the target is a p95 under 200 ms for a page of 100.
"""

import argparse
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
# The rate limit is not what is measured.
os.environ.setdefault("API_RATE_LIMIT", "1000000/min")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402

from accounts import roles  # noqa: E402
from accounts.models import Account  # noqa: E402
from accounts.services import api_token_create, api_token_revoke  # noqa: E402
from bench.common import Client, gunicorn, report  # noqa: E402

FILTERS = [
    "stage=consultant",
    "risk_band=high",
    "industry=Retail&potential=regular",
    "revenue_min=500000",
    "stage=confidant&risk_band=medium",
]


def measure(client: Client, paths: list[str], requests: int, token: str) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    for n in range(requests):
        status, body, _, elapsed = client.get(paths[n % len(paths)], headers)
        assert status == 200, (status, body[:300])
        times.append(elapsed * 1000)
    return times


def _busiest_manager():
    return (
        get_user_model()
        .objects.filter(groups__name=roles.ACCOUNT_MANAGER)
        .annotate(accounts=Count("owned_accounts"))
        .order_by("-accounts")
        .first()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    lead = get_user_model().objects.filter(groups__name=roles.SALES_LEAD).order_by("pk").first()
    manager = _busiest_manager()
    assert lead is not None and manager is not None, "seed the demo portfolio first"
    lead_row, lead_token = api_token_create(user=lead, name="Benchmark")
    manager_row, manager_token = api_token_create(user=manager, name="Benchmark")
    active = Account.objects.filter(status="active").count()
    pages = [f"/api/v1/accounts?offset={offset}" for offset in range(0, active, 100)]
    some = list(Account.objects.filter(status="active").values_list("pk", flat=True)[:50])
    try:
        with gunicorn(workers=options.workers) as server:
            client = Client(server.port, "")
            measure(client, pages[:4] * options.workers, 4 * options.workers, lead_token)
            n = options.requests
            print(f"gunicorn, {options.workers} workers, loopback; {active} active accounts")
            report("trivial view /healthz (ceiling)", measure(client, ["/healthz"], n, lead_token))
            report(
                "accounts, page of 100 (lead, every offset)", measure(client, pages, n, lead_token)
            )
            report(
                "accounts, filtered (lead)",
                measure(client, [f"/api/v1/accounts?{f}" for f in FILTERS], n, lead_token),
            )
            report(
                f"accounts, page of 100 ({manager.username}, {manager.accounts} own accounts)",
                measure(client, ["/api/v1/accounts"], n, manager_token),
            )
            report(
                "one account with its standing (lead)",
                measure(client, [f"/api/v1/accounts/{pk}" for pk in some], n, lead_token),
            )
    finally:
        api_token_revoke(token=lead_row)
        api_token_revoke(token=manager_row)


if __name__ == "__main__":
    main()
