"""Benchmark: server time of the account page, and of logging a meeting on it.

Usage (PostgreSQL, holding the large demo portfolio from `make seed-large`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relationships_bench \
        .venv/bin/python bench/account_page.py [--accounts 20] [--requests 300]

Requests go through the whole Django stack in this process (middleware, session, the view,
template rendering), as the account's own manager, against the accounts with the longest
histories (3 years of weekly snapshots). Reports p50, p95 and max per request, and the number
of queries per page. Logging a meeting (form validation, the write, the rescore of the account
and the "what changed" note) is measured in transactions that are rolled back, so the
portfolio is left as it was. Figures go to docs/benchmarks.md.
"""

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Account  # noqa: E402
from bench.common import report  # noqa: E402
from relationships.models import SignalType  # noqa: E402


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--logs", type=int, default=60)
    options = parser.parse_args()
    # Production settings serve hashed static names from the manifest collectstatic writes.
    call_command("collectstatic", "--noinput", verbosity=0)

    accounts = longest_histories(options.accounts)
    clients = owners_signed_in(accounts)
    rng = random.Random(7)
    # Warm up: connections, template loading, the first plotly JSON encodings.
    for account in accounts:
        clients[account.owner_id].get(reverse("account-detail", args=[account.pk]))
    time_pages(accounts, clients, rng, options.requests)
    time_chart_refreshes(accounts, clients, rng, options.requests)
    time_logging(accounts, clients, rng, options.logs)


def longest_histories(count: int) -> Sequence[Account]:
    """The `count` accounts with the most weekly snapshots, with their owners."""
    accounts = list(
        Account.objects.annotate(weeks=Count("snapshots"))
        .select_related("owner")
        .order_by("-weeks")[:count]
    )
    print(
        f"{connection.vendor}; {Account.objects.count()} accounts; the {len(accounts)} "
        f"measured hold {min(a.weeks for a in accounts)}-{max(a.weeks for a in accounts)} "
        "weeks of history"
    )
    return accounts


def owners_signed_in(accounts: Sequence[Account]) -> dict[int, Client]:
    """A client signed in as each account's owner, by owner id: pages are seen as the
    account's own manager sees them."""
    clients = {}
    for account in accounts:
        if account.owner_id not in clients:
            client = Client()
            client.force_login(account.owner)
            clients[account.owner_id] = client
    return clients


def time_pages(
    accounts: Sequence[Account], clients: dict[int, Client], rng: random.Random, requests: int
) -> None:
    """The full account page, `requests` times on accounts drawn at random, and the number
    of queries each took."""
    page_times, query_counts = [], set()
    for _ in range(requests):
        account = rng.choice(accounts)
        url = reverse("account-detail", args=[account.pk])
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = clients[account.owner_id].get(url)
            page_times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        query_counts.add(len(queries))
    report("account page (full)", page_times)
    print(f"queries per page: {sorted(query_counts)}")


def time_chart_refreshes(
    accounts: Sequence[Account], clients: dict[int, Client], rng: random.Random, requests: int
) -> None:
    """The charts panel as htmx refreshes it after a change, `requests` times."""
    fragment_times = []
    for _ in range(requests):
        account = rng.choice(accounts)
        url = reverse("account-detail", args=[account.pk])
        started = time.perf_counter()
        response = clients[account.owner_id].get(
            url, {"panel": "account-charts"}, HTTP_HX_REQUEST="true"
        )
        fragment_times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    report("charts panel (htmx refresh)", fragment_times)


def time_logging(
    accounts: Sequence[Account], clients: dict[int, Client], rng: random.Random, logs: int
) -> None:
    """Logging a meeting with two signals, `logs` times, each in a transaction rolled back."""
    signals = list(SignalType.objects.filter(is_active=True).values_list("pk", flat=True))
    log_times = []
    for _ in range(logs):
        account = rng.choice(accounts)
        data = {
            "occurred_on": timezone.localdate().isoformat(),
            "kind": "meeting",
            "notes": "Benchmark meeting",
            "signals": rng.sample(signals, 2),
        }
        try:
            with transaction.atomic():
                started = time.perf_counter()
                response = clients[account.owner_id].post(
                    reverse("interaction-new", args=[account.pk]), data, HTTP_HX_REQUEST="true"
                )
                log_times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200 and "Logged" in response.content.decode()
                raise Rollback
        except Rollback:
            pass
    report("log a meeting with two signals (write + rescore)", log_times)


if __name__ == "__main__":
    main()
