"""Benchmark: a full recompute in chunks, in one process and shared by queue workers, with its
peak memory, against the I/O floor of the same work.

Usage (PostgreSQL, holding a large demo portfolio, e.g. `bench/seed_demo.py --accounts 50000`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relationships_bench \
        .venv/bin/python bench/recompute_scale.py [--workers 1 2] [--processes 1] [--floor]

Reports, one run each:
- command: `manage.py recompute_scores` (chunk after chunk in one process, each chunk scored
  on every core), wall time and the peak memory of its whole process tree (PSS, summed);
- queue with N workers, for each N of --workers: `recompute_scores --queue`, then N
  `manage.py db_worker --batch` processes with SCORING_PROCESSES=--processes claiming the
  chunks; wall time from the first worker's start to the last one's exit, and the peak memory
  of all workers together;
- for each queue run, the machine's busy CPU time split between the workers and everything
  else (PostgreSQL above all), which says how many cores N workers would keep busy; with
  --accounts N only the first N accounts are queued (a quick measurement of that split);
- with --floor, the I/O floor of bench/recompute.py (the same reads, DELETE and COPY of as
  many snapshot rows with no computation, in one transaction, rolled back) and each time's
  ratio to it.
Figures go to docs/benchmarks.md.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from accounts.models import Account  # noqa: E402
from bench.common import TreeMemory  # noqa: E402
from bench.recompute import vacuum  # noqa: E402
from scoring.models import RecomputeJob, ScoreSnapshot  # noqa: E402
from scoring.selectors import profile_active  # noqa: E402


def manage(*arguments: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env={**os.environ, **(env or {})}
    )


def in_one_process() -> tuple[float, float]:
    vacuum()
    started = time.perf_counter()
    command = manage("recompute_scores", "--verbosity", "0")
    with TreeMemory(command.pid) as memory:
        command.wait()
    assert command.returncode == 0
    return time.perf_counter() - started, memory.peak_mib


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def by_workers(count: int, processes: int, accounts: int | None = None) -> tuple[float, float]:
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).count()
    if waiting:
        sys.exit(f"{waiting} tasks are waiting or running: the workers would run them too.")
    vacuum()
    started, busy = time.perf_counter(), busy_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    chosen = []
    if accounts:
        for pk in Account.objects.order_by("pk").values_list("pk", flat=True)[:accounts]:
            chosen += ["--account", str(pk)]
    queued = manage("recompute_scores", "--queue", "--verbosity", "0", *chosen)
    queued.wait()
    assert queued.returncode == 0
    job = RecomputeJob.objects.latest("pk")
    env = {"SCORING_PROCESSES": str(processes)}
    workers = [
        manage("db_worker", "--batch", "--no-reload", "--worker-id", f"bench-{n}", env=env)
        for n in range(count)
    ]
    with TreeMemory(*(worker.pid for worker in workers)) as memory:
        for worker in workers:
            worker.wait()
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    python = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    machine = busy_seconds() - busy
    print(
        f"  CPU: {machine:.0f} core-seconds busy in all, of which the worker processes "
        f"{python:.0f} and everything else (PostgreSQL above all) {machine - python:.0f}",
        flush=True,
    )
    job.refresh_from_db()
    assert job.status == RecomputeJob.Status.DONE, (job.status, job.error)
    return elapsed, memory.peak_mib


def floor() -> float:
    from bench.recompute import copy_line, io_floor, sample_snapshot_rows

    profile = profile_active()
    keys = ScoreSnapshot.objects.filter(profile=profile).values_list(
        "account_id", "week_ending", "is_latest"
    )
    samples = sample_snapshot_rows(profile)
    lines = [
        copy_line((a, profile.pk, w, *samples[i % len(samples)][3:-1], latest))
        for i, (a, w, latest) in enumerate(keys.iterator(50_000))
    ]
    chunks = ["".join(lines[i : i + 10_000]) for i in range(0, len(lines), 10_000)]
    del lines
    vacuum()
    return io_floor(chunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--floor", action="store_true")
    parser.add_argument("--skip-command", action="store_true")
    parser.add_argument(
        "--accounts", type=int, help="queue only the first N accounts (a quick CPU split)"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (set DATABASE_URL).")
    print(f"Portfolio: {Account.objects.count()} accounts; {os.cpu_count()} cores", flush=True)
    times = {}
    if not args.skip_command:
        elapsed, peak = in_one_process()
        times["command"] = elapsed
        print(f"recompute_scores: {elapsed:.1f} s, peak memory {peak:,.0f} MiB", flush=True)
    for count in args.workers:
        elapsed, peak = by_workers(count, args.processes, args.accounts)
        times[f"{count} workers"] = elapsed
        print(
            f"queue, {count} worker(s) x {args.processes} process(es): {elapsed:.1f} s, "
            f"peak memory {peak:,.0f} MiB",
            flush=True,
        )
    if args.floor:
        seconds = floor()
        print(f"I/O floor: {seconds:.1f} s", flush=True)
        for name, elapsed in times.items():
            print(f"  {name}: {elapsed / seconds:.2f}x the floor")
    print(f"snapshots: {ScoreSnapshot.objects.count():,}")


if __name__ == "__main__":
    main()
