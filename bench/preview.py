"""Benchmark: the what-if preview on the tuning page, on the whole portfolio, under gunicorn.

Usage (PostgreSQL, holding the large demo portfolio from `make seed-large`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relationships_bench \\
        .venv/bin/python bench/preview.py [--requests 40] [--workers 2]

Starts a draft of the active profile, starts gunicorn on a loopback port with production
settings, signs a scoring admin in, and posts the draft page's form to the preview endpoint as
the page does while the admin edits, one request at a time, each with a different weight (so
every request scores the whole portfolio under a new draft):
- warm: the portfolio's evidence was read by an earlier request and has not changed since;
- cold: a new assessment was recorded just before each request, so the evidence is read
  again (what the first preview after any change costs).
Also times the trivial /healthz view under the same server (the ceiling). Reports p50, p95 and
max (the target is 2 s), and each worker's peak resident memory. The draft and the
assessments it added are removed at the end. Figures go to docs/benchmarks.md.
"""

import argparse
import os
import re
import secrets
import statistics
import sys
import time
import urllib.parse
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

from django.contrib.auth.models import Group  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import roles  # noqa: E402
from accounts.models import Account  # noqa: E402
from bench.common import Client, gunicorn, report, session_for  # noqa: E402
from relationships.models import Assessment  # noqa: E402
from scoring import services  # noqa: E402
from scoring.engine import flatten  # noqa: E402
from scoring.selectors import profile_active  # noqa: E402
from scoring.tuning.forms import field_name  # noqa: E402
from tests.factories import UserFactory  # noqa: E402


def admin_session():
    """A scoring admin made for this run, and a signed-in session of theirs."""
    admin = UserFactory(username=f"bench-admin-{os.getpid()}")
    admin.groups.add(Group.objects.get(name=roles.SCORING_ADMIN))
    return admin, session_for(admin)


def post(client: Client, path: str, form: dict, token: str) -> float:
    started = time.perf_counter()
    client.connection.request(
        "POST",
        path,
        body=urllib.parse.urlencode(form),
        headers={
            **client.headers,
            "Cookie": f"{client.headers['Cookie']}; csrftoken={token}",
            "X-CSRFToken": token,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = client.connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status == 200 and b'data-testid="what-if"' in body, (response.status, body)
    return elapsed


def worker_peaks(master: int) -> list[str]:
    """Each gunicorn worker's peak resident memory so far (VmHWM), in MiB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(f"{int(line.split()[1]) / 1024:.0f} MiB")
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()

    active = profile_active()
    draft = services.profile_draft(source=active, note="benchmark")
    admin, cookie = admin_session()
    form: dict[str, object] = {"revision": draft.revision}
    for path, value in flatten(draft.params).items():
        form[field_name(path)] = ", ".join(value) if isinstance(value, list) else value
    weight = field_name("signal_weights.invited_to_planning")
    cold_requests = max(4, options.requests // 4)
    today = timezone.localdate()
    accounts = list(
        Account.objects.filter(lost_on__isnull=True).exclude(assessments__assessed_on=today)[
            :cold_requests
        ]
    )
    added: list[int] = []

    try:
        with gunicorn(workers=options.workers, timeout=60) as server:
            client = Client(server.port, cookie)
            status, page, _, _ = client.get(f"/tuning/versions/{draft.version}/")
            assert status == 200, status
            found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert found is not None, "no CSRF token on the draft's page"
            token = found.group(1).decode()
            path = f"/tuning/versions/{draft.version}/preview/"

            ceiling = statistics.median(
                client.get("/healthz")[3] * 1000 for _ in range(options.requests)
            )
            for n in range(4 * options.workers):  # every worker reads the portfolio once
                post(client, path, {**form, weight: 20 + n}, token)
            warm = [
                post(client, path, {**form, weight: 9 + n % 30 + 0.5}, token)
                for n in range(options.requests)
            ]
            cold = []
            for n, account in enumerate(accounts):
                added.append(
                    Assessment.objects.create(account=account, assessed_on=today, relevance=3).pk
                )
                cold.append(post(client, path, {**form, weight: 41 + n}, token))

            in_book = Account.objects.filter(lost_on__isnull=True).count()
            print(f"gunicorn, {options.workers} workers, loopback; {in_book} active accounts")
            print(f"trivial view /healthz (ceiling): p50={ceiling:.1f} ms")
            report("preview, evidence unchanged since the last read (warm)", warm, ceiling)
            report("preview, evidence changed just before (cold)", cold, ceiling)
            print(f"workers' peak memory (RSS): {', '.join(worker_peaks(server.pid))}")
    finally:
        Assessment.objects.filter(pk__in=added).delete()
        draft.changes.all().delete()
        draft.delete()
        admin.delete()


if __name__ == "__main__":
    main()
