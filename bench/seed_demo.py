"""Benchmark: building and loading the large demo portfolio.

Usage (PostgreSQL; the target database is replaced with demo data):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relationships_bench \
        .venv/bin/python bench/seed_demo.py [--accounts 5000] [--years 3] [--runs 3]

Reports, per run, the time to generate the stories in Python and the time to write them
(including commit), then the median. Figures go to docs/benchmarks.md.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from relationships.demo.stories import build_portfolio  # noqa: E402
from relationships.demo.writer import non_demo_data_exists, write_portfolio  # noqa: E402
from relationships.models import Interaction, TrustSignal  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--years", type=float, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if non_demo_data_exists():
        sys.exit("The database holds non-demo accounts; point DATABASE_URL at a scratch database.")

    as_of = datetime.date(2026, 11, 22)
    totals, builds, writes = [], [], []
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        portfolio = build_portfolio(accounts=args.accounts, years=args.years, seed=run, as_of=as_of)
        built = time.perf_counter()
        write_portfolio(portfolio)
        written = time.perf_counter()
        builds.append(built - started)
        writes.append(written - built)
        totals.append(written - started)
        print(
            f"run {run}: generate {builds[-1]:.1f} s, write {writes[-1]:.1f} s, "
            f"total {totals[-1]:.1f} s",
            flush=True,
        )

    participants = Interaction.participants.through.objects.count()
    print(
        f"\n{connection.vendor}, {args.accounts} accounts x {args.years:g} years: "
        f"{Interaction.objects.count()} interactions, {TrustSignal.objects.count()} signals, "
        f"{participants} participant rows (last run)"
    )
    print(
        f"median of {args.runs}: generate {statistics.median(builds):.1f} s, "
        f"write {statistics.median(writes):.1f} s, total {statistics.median(totals):.1f} s"
    )


if __name__ == "__main__":
    main()
