"""Benchmark: the daily catch-up rolling a quiet portfolio into a new week.

Usage (PostgreSQL, holding the large demo portfolio from `make seed-large`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relationships_bench \
        .venv/bin/python bench/catch_up.py [--runs 3]

Each run first leaves every account a week behind (a full recompute as of the same weekday
a week ago, then VACUUM ANALYZE; not timed, and skipped when accounts are behind already),
then times:
- roll: `scores_catch_up()` as of today, as the worker's daily run does it: each active
  account behind keeps its stored weeks, and only the week that was in progress and this
  week are written;
- again: the same a second time, which finds nothing to do;
- full: for comparison, the same accounts left a week behind again and recomputed whole as
  of today (what the catch-up did before it rolled).
After the first run it checks that the roll leaves exactly the rows the full recompute does
(a digest of every snapshot row). `--roll-only` skips the comparison (for a large portfolio,
whose full recompute is measured by bench/recompute_scale.py). Reports the median of --runs,
the accounts and rows each wrote; figures go to docs/benchmarks.md.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from scoring.jobs.catch_up import scores_catch_up, stale_account_ids  # noqa: E402
from scoring.jobs.recompute import recompute_in_process  # noqa: E402
from scoring.models import ScoreSnapshot  # noqa: E402
from scoring.selectors import profile_active  # noqa: E402
from scoring.services import scores_recompute  # noqa: E402


def digest() -> str:
    """One hash of every snapshot row of the live profile, in a fixed order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT md5(string_agg(
                    concat_ws('|', account_id, week_ending, score, stage, decline_risk,
                              contributions::text, risk_drivers::text, next_stage_gap,
                              is_latest),
                    ',' ORDER BY account_id, week_ending))
                FROM {ScoreSnapshot._meta.db_table} WHERE profile_id = %s""",
            [profile_active().pk],
        )
        return cursor.fetchone()[0]


def week_behind(week_ago: datetime.date) -> None:
    scores_recompute(as_of=week_ago)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {ScoreSnapshot._meta.db_table}")


def timed(work, **arguments) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work(**arguments)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--roll-only", action="store_true")
    args = parser.parse_args()
    today = timezone.localdate()
    week_ago = today - datetime.timedelta(days=7)
    profile = profile_active()
    rolls, agains, fulls = [], [], []
    for run in range(args.runs):
        if not stale_account_ids(profile=profile, today=today):
            week_behind(week_ago)
        behind = stale_account_ids(profile=profile, today=today)
        rows_before = ScoreSnapshot.objects.filter(profile=profile).count()
        seconds, rolled = timed(scores_catch_up, today=today)
        rows_after = ScoreSnapshot.objects.filter(profile=profile).count()
        rolls.append(seconds)
        agains.append(timed(scores_catch_up, today=today)[0])
        print(
            f"run {run + 1}: roll {rolls[-1]:.1f} s ({rolled} accounts, snapshots "
            f"{rows_before:,} -> {rows_after:,}), again {agains[-1] * 1000:.0f} ms"
        )
        if args.roll_only:
            continue
        rolled_digest = digest() if run == 0 else None
        week_behind(week_ago)
        seconds, full = timed(
            recompute_in_process, profile=profile, account_ids=behind, as_of=today
        )
        fulls.append(seconds)
        print(f"  full {fulls[-1]:.1f} s ({full.accounts} accounts, {full.snapshots:,} rows)")
        if rolled_digest is not None:
            same = rolled_digest == digest()
            print(f"  rolled rows equal the full recompute's: {same}")
            if not same:
                sys.exit(1)
    print(
        f"median: roll {statistics.median(rolls):.1f} s, again "
        f"{statistics.median(agains) * 1000:.0f} ms"
        + (f", full {statistics.median(fulls):.1f} s" if fulls else "")
    )


if __name__ == "__main__":
    main()
