"""Benchmark: the backtest the tuning page runs in the background, on the whole portfolio.

Usage (PostgreSQL, holding the large demo portfolio from `make seed-large`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relationships_bench \
        .venv/bin/python bench/backtest.py [--runs 3]

Each run queues a backtest of a draft copy of the active profile against the active one, as
the tuning page's button does, and runs the worker's part (`backtest_execute`) in this process:
every account's whole history scored under both versions, leads, false alarms, AUC and both
baselines. Reports per run the wall time and the peak memory of the process with the scoring
processes it forks (PSS, summed; bench.common.TreeMemory); then the median,
and the headline figures of the report.
The draft and its runs are deleted afterwards. Figures go to docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from accounts.models import Account  # noqa: E402
from bench.common import TreeMemory  # noqa: E402
from scoring.jobs import backtest_run as backtest_runs  # noqa: E402
from scoring.models import BacktestRun  # noqa: E402
from scoring.selectors import profile_active  # noqa: E402
from scoring.services import profile_create  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    live = profile_active()
    draft = profile_create(params=live.params, note="backtest benchmark")
    times = []
    try:
        print(f"{Account.objects.count()} accounts")
        for run_number in range(1, options.runs + 1):
            run = BacktestRun.objects.create(profile=draft, baseline=live)
            started = time.perf_counter()
            with TreeMemory(os.getpid()) as memory:
                backtest_runs.backtest_execute(run.pk)
            times.append(time.perf_counter() - started)
            run.refresh_from_db()
            print(
                f"run {run_number}: {times[-1]:.1f} s, progress shown every "
                f"{backtest_runs.CHUNK} of {run.accounts_done} accounts, "
                f"peak memory of the process and its scoring processes {memory.peak_mib:.0f} MiB",
                flush=True,
            )
        report = run.result["profile"]
        print(f"median of {options.runs}: {statistics.median(times):.1f} s")
        baselines = report["baselines"]
        print(
            f"report: {report['lost']} lost, {report['retained']} kept; warned 8+ weeks ahead "
            f"{report['warned_share']:.0%}, false alarms {report['false_alarm_rate']:.0%}, "
            f"AUC {report['auc']:.2f} (days since contact "
            f"{baselines['days_since_contact']['auc']:.2f}, recent activity "
            f"{baselines['recent_activity']['auc']:.2f})"
        )
    finally:
        draft.delete()


if __name__ == "__main__":
    main()
