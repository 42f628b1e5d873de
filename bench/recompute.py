"""Benchmark: recomputing the weekly score history, against the I/O floor of the same work.

Usage (PostgreSQL, holding the large demo portfolio from `make seed-large`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relationships_bench \
        .venv/bin/python bench/recompute.py [--runs 3] [--rescores 200]

Reports, each as the median of --runs:
- full: `scores_recompute()` for every account, end to end (one transaction, committed);
- floor: the same transaction with no computation: the same evidence queries with every row
  fetched, the same DELETE, and COPY of the same number of snapshot rows of the same shape
  and size (copies of real snapshot rows, formatted as COPY text beforehand), with the same
  foreign-key checks, rolled back so the live snapshots stay;
- the ratio full / floor;
and the latency of rescoring one account (`account_rescore`) over --rescores random accounts:
p50, p95, max. Figures go to docs/benchmarks.md.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from accounts.models import Account  # noqa: E402
from config.bulk import copy_text  # noqa: E402
from relationships.models import Assessment, Interaction, TrustSignal  # noqa: E402
from scoring.models import ScoreSnapshot  # noqa: E402
from scoring.selectors import profile_active  # noqa: E402
from scoring.services import account_rescore, scores_recompute  # noqa: E402
from scoring.snapshots import SNAPSHOT_FIELDS, copy_escape  # noqa: E402


class Rollback(Exception):
    pass


def io_floor(chunks: list[str]) -> float:
    """Seconds for the recompute's reads and writes with no computation in between."""
    profile = profile_active()
    started = time.perf_counter()
    try:
        with transaction.atomic():
            list(Account.objects.select_for_update(no_key=True).values_list("pk", flat=True))
            queries = [
                Account.objects.order_by().values_list("pk", "lost_on"),
                Interaction.participants.through.objects.order_by().values_list(
                    "interaction_id", "contact_id"
                ),
                TrustSignal.objects.order_by().values_list(
                    "account_id",
                    "observed_on",
                    "signal_type__slug",
                    "signal_type__category",
                    "signal_type__polarity",
                ),
                Interaction.objects.order_by().values_list(
                    "pk", "account_id", "occurred_on", "kind", "initiated_by_client"
                ),
                Assessment.objects.order_by().values_list(
                    "account_id", "assessed_on", "relevance", "client_perceived_stage"
                ),
            ]
            for query in queries:
                for _ in query.iterator(20_000):
                    pass
            ScoreSnapshot.objects.filter(profile=profile).delete()
            copy_text(ScoreSnapshot, SNAPSHOT_FIELDS, chunks)
            connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - started


def sample_snapshot_rows(profile) -> list[tuple]:
    """A random sample of real snapshot rows, for their shape and size."""
    columns = [f + "_id" if f in ("account", "profile") else f for f in SNAPSHOT_FIELDS]
    return list(
        ScoreSnapshot.objects.filter(profile=profile).order_by("?").values_list(*columns)[:5000]
    )


def vacuum() -> None:
    """Clear the dead rows the previous run left (autovacuum's job, off on some machines), and
    write every changed page out (CHECKPOINT), so that every measurement starts from the same
    table with none of the previous run's writes still to flush: a run writes more WAL than
    the default max_wal_size, and a checkpoint falling inside one run and not another moved
    times by a fifth."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {ScoreSnapshot._meta.db_table}")
        cursor.execute("CHECKPOINT")


def copy_line(row: tuple) -> str:
    *values, latest = row
    text = [copy_escape(json.dumps(v) if isinstance(v, list) else str(v)) for v in values]
    return "\t".join([*text, "t" if latest else "f"]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rescores", type=int, default=200)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (set DATABASE_URL).")

    accounts = Account.objects.count()
    print(
        f"Portfolio: {accounts} accounts, {Interaction.objects.count()} interactions, "
        f"{TrustSignal.objects.count()} signals, {Assessment.objects.count()} assessments"
    )

    fulls, floors = [], []
    for run in range(1, args.runs + 1):
        vacuum()
        started = time.perf_counter()
        result = scores_recompute()
        fulls.append(time.perf_counter() - started)
        profile = profile_active()
        keys = list(
            ScoreSnapshot.objects.filter(profile=profile).values_list(
                "account_id", "week_ending", "is_latest"
            )
        )
        samples = sample_snapshot_rows(profile)
        # Each copied row keeps a real (account, week, latest) key, so the floor writes what a
        # recompute writes, unique constraints included; the text is formatted beforehand.
        lines = [
            copy_line((a, profile.pk, w, *samples[i % len(samples)][3:-1], latest))
            for i, (a, w, latest) in enumerate(keys)
        ]
        chunks = ["".join(lines[i : i + 10_000]) for i in range(0, len(lines), 10_000)]
        vacuum()
        floors.append(io_floor(chunks))
        print(
            f"run {run}: full {fulls[-1]:.1f} s ({result.snapshots} snapshots), "
            f"I/O floor {floors[-1]:.1f} s"
        )
    full, floor = statistics.median(fulls), statistics.median(floors)
    print(f"median: full recompute {full:.1f} s, I/O floor {floor:.1f} s, ratio {full / floor:.2f}")

    ids = list(Account.objects.values_list("pk", flat=True))
    chosen = random.Random(7).sample(ids, min(args.rescores, len(ids)))
    timings = []
    for account_id in chosen:
        started = time.perf_counter()
        account_rescore(account_id=account_id)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[max(0, round(len(timings) * 0.95) - 1)]
    print(
        f"one-account rescore over {len(timings)} accounts: p50 {statistics.median(timings):.1f} "
        f"ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
