"""Scoring many accounts at once and writing their snapshots, on every core when it pays.

The engine is pure Python, so one process computes on one core. For a whole portfolio on
PostgreSQL the accounts are shared out to worker processes (forked, so they inherit the
evidence already loaded without copying it) that return their rows as COPY text; the parent
streams each chunk into the open COPY while the workers compute the next ones.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Mapping

from django.db import connection

from config.bulk import copy_text, insert_rows
from scoring.engine import Evidence, Profile, WeekPoint, score_timeline
from scoring.models import ScoreSnapshot
from scoring.snapshots import SNAPSHOT_FIELDS, SnapshotEncoder

PARALLEL_FROM = 500  # accounts: below this, starting workers costs more than it saves
CHUNK = 50  # accounts per unit of work

Progress = Callable[[int], None] | None


def snapshots_write(
    *,
    evidence: dict[int, Evidence],
    profile_id: int,
    engine_profile: Profile,
    as_of: datetime.date,
    progress: Progress = None,
    workers: int | None = None,
    since: Mapping[int, datetime.date] | None = None,
) -> int:
    """Score every account in `evidence` and insert its weekly snapshots; returns the rows.

    `since` maps an account to the first week to insert (the weeks before it are kept as they
    are stored); an account it does not name gets its whole history. `workers` caps the
    processes (None: one per core); 1, fewer than PARALLEL_FROM accounts, or a database other
    than PostgreSQL scores in this process.
    """
    workers = workers or cores()
    since = since or {}
    if forks_pay(len(evidence), workers):
        return _write_in_parallel(
            evidence, profile_id, engine_profile, as_of, since, progress, workers
        )
    return _write_serially(evidence, profile_id, engine_profile, as_of, since, progress)


def cores() -> int:
    """The cores this process may run on: its CPU affinity where the platform tells it (a
    container pinned to two cores of a large host gets 2), else every core of the machine."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def forks_pay(accounts: int, workers: int) -> bool:
    """Whether scoring `accounts` in `workers` forked processes pays: several workers, enough
    accounts, and forks possible (the parent streams while they compute)."""
    return workers > 1 and accounts >= PARALLEL_FROM and forks_possible()


def forks_possible() -> bool:
    """PostgreSQL (SQLite takes one writer at a time, and its database is no server to share)
    and a platform that forks."""
    return connection.vendor == "postgresql" and "fork" in multiprocessing.get_all_start_methods()


def _write_serially(evidence, profile_id, engine_profile, as_of, since, progress) -> int:
    """Score the accounts one after another in this process, writing each one's rows as it
    goes: as COPY text on PostgreSQL (what the forked workers send), else as rows."""
    copying = connection.vendor == "postgresql"
    encoder = SnapshotEncoder(for_copy=copying)
    rows = 0

    def timelines() -> Iterator[tuple[int, list[WeekPoint]]]:
        nonlocal rows
        done = 0
        for account_id, account_evidence in evidence.items():
            timeline = score_timeline(
                account_evidence, engine_profile, as_of=as_of, from_week=since.get(account_id)
            )
            rows += len(timeline)
            yield account_id, timeline
            done += 1
            if progress is not None and done == CHUNK:
                progress(done)
                done = 0
        if progress is not None and done:
            progress(done)

    if copying:
        texts = (encoder.copy_text(pk, profile_id, timeline) for pk, timeline in timelines())
        copy_text(ScoreSnapshot, SNAPSHOT_FIELDS, texts)
    else:
        weeks = (row for pk, tl in timelines() for row in encoder.rows(pk, profile_id, tl))
        insert_rows(ScoreSnapshot, SNAPSHOT_FIELDS, weeks)
    return rows


# Parallel ------------------------------------------------------------------------------------

# What the forked workers read: set just before the pool starts, cleared when it ends.
_job: tuple | None = None
_encoder: SnapshotEncoder | None = None


def _write_in_parallel(
    evidence, profile_id, engine_profile, as_of, since, progress, workers
) -> int:
    global _job
    account_ids = list(evidence)
    chunks = [account_ids[i : i + CHUNK] for i in range(0, len(account_ids), CHUNK)]
    rows = 0

    def texts() -> Iterator[str]:
        nonlocal rows
        # The parent's database connection is inherited but never used by the workers; they
        # leave with os._exit, so nothing closes it behind the parent's back.
        with worker_pool(workers) as pool:
            for accounts, count, text in pool.imap(_score_chunk, chunks):
                rows += count
                if progress is not None:
                    progress(accounts)
                yield text

    _job = (evidence, profile_id, engine_profile, as_of, since)
    try:
        copy_text(ScoreSnapshot, SNAPSHOT_FIELDS, texts())
    finally:
        _job = None
    return rows


def worker_pool(workers: int):
    """Forked scoring workers: they read the parent's evidence without copying it."""
    return multiprocessing.get_context("fork").Pool(workers, _worker_start)


def _worker_start() -> None:
    """Closing the pool ends its workers with SIGTERM. A forked worker inherits its parent's
    handler for it, and the task worker's (`db_worker`: finish the running task, then stop)
    keeps a worker alive past that, so the pool would wait for it for ever."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _score_chunk(account_ids: list[int]) -> tuple[int, int, str]:
    global _encoder
    assert _job is not None
    evidence, profile_id, engine_profile, as_of, since = _job
    if _encoder is None:
        _encoder = SnapshotEncoder(for_copy=True)
    parts, rows = [], 0
    for account_id in account_ids:
        timeline = score_timeline(
            evidence[account_id], engine_profile, as_of=as_of, from_week=since.get(account_id)
        )
        rows += len(timeline)
        parts.append(_encoder.copy_text(account_id, profile_id, timeline))
    return len(account_ids), rows, "".join(parts)
