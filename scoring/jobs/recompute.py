"""Recomputing many accounts in chunks: in this process, or as tasks that any worker claims.

A chunk is a few hundred accounts scored in one transaction (`scores_recompute` with their
ids): their evidence is read, their snapshots replaced and committed, and the memory goes
before the next chunk. So the memory of a recompute does not grow with the portfolio, no
account stays locked for longer than its chunk takes, and an interrupted run leaves every
account either as it was or fully rescored, never half-written.

`recompute_in_process` works through the chunks in this process tree (the `recompute_scores`
command): one after another, or on PostgreSQL in a few forked lanes that each take the next
chunk as they finish one, so that one lane's reads and writes overlap another's scoring.
`recompute_queue` makes a `RecomputeJob` and queues one task per chunk; every worker
watching the queue (`manage.py run_worker`, on this machine or another against the same
database) claims chunks until none is left, and whichever finishes the last chunk finishes the
job: a rollout's version goes live then, never half-computed.
"""

from __future__ import annotations

import ctypes
import datetime
import logging
import multiprocessing
import os
import signal
import sys
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import Task

from accounts.models import Account
from scoring.models import (
    ProfileChange,
    ProfileRollout,
    RecomputeJob,
    ScoreSnapshot,
    ScoringProfile,
)
from scoring.portfolio import cores, forks_possible
from scoring.services import (
    RecomputeResult,
    account_rescore,
    profile_activate,
    scores_recompute,
    statistics_refresh,
)
from scoring.standing_lines import lines_settle

logger = logging.getLogger(__name__)

# Accounts per chunk: enough for every core of a worker to be busy (scoring/portfolio.py
# forks from 500), few enough that an account is locked for a few seconds at most and a chunk
# holds a few tens of megabytes of evidence.
CHUNK = 500
# Below the default: a long recompute never holds up the digest, calendar syncs or webhooks.
PRIORITY = -10
# A chunk takes seconds (3-4 s for 500 accounts on one core here, docs/benchmarks.md); one
# whose task has been running for this long, with none of its accounts locked any more, lost
# its worker (killed, or its machine gone) and is queued again (`chunks_reclaim`). Were it
# still running after all, that is harmless: a chunk is scored whole in one transaction, the
# second run scores its accounts the same again, and the job counts the chunk once.
CHUNK_LOST_AFTER = datetime.timedelta(minutes=15)
# Lanes by default: one per core, at most this many. Each holds a chunk's evidence (about
# 150 MiB) and a database connection; past a few, one PostgreSQL server is the limit anyway.
MOST_LANES = 8


def chunks_of(account_ids: Sequence[int], size: int | None = None) -> Iterator[list[int]]:
    size = size or CHUNK
    for start in range(0, len(account_ids), size):
        yield list(account_ids[start : start + size])


def all_account_ids() -> list[int]:
    return list(Account.objects.order_by("pk").values_list("pk", flat=True))


def recompute_in_process(
    *,
    profile: ScoringProfile,
    account_ids: Collection[int] | None = None,
    as_of: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    chunk: int | None = None,
    roll: bool = False,
    lanes: int | None = None,
) -> RecomputeResult:
    """Recompute `account_ids` (None: every account) under `profile`, chunk after chunk, each
    committed on its own (with `roll`, only from each account's latest week: see
    `scores_recompute`). Running it again after an interruption finishes the job.

    With `lanes` above 1, on PostgreSQL and outside a transaction, that many forked processes
    share the chunks, each scoring its chunk on one core; otherwise each chunk is scored on
    `workers` cores (None: every core) in turn."""
    as_of = as_of or timezone.localdate()
    ids = sorted(account_ids) if account_ids is not None else all_account_ids()
    parts = list(chunks_of(ids, chunk))
    lanes = min(lanes or 1, len(parts))
    if lanes > 1 and _lanes_pay():
        accounts, snapshots = _in_lanes(parts, lanes, profile, as_of, roll, progress)
    else:
        accounts = snapshots = 0
        for part in parts:
            result = scores_recompute(
                profile=profile,
                account_ids=part,
                as_of=as_of,
                progress=progress,
                workers=workers,
                roll=roll,
            )
            accounts += result.accounts
            snapshots += result.snapshots
    if account_ids is None:
        _lines_settled()
    if len(ids) >= (chunk or CHUNK):
        statistics_refresh()
    return RecomputeResult(profile.version, accounts, snapshots)


def lanes_default() -> int:
    """How many lanes a recompute in this process takes: `SCORING_PROCESSES`, or one per
    core up to MOST_LANES."""
    return settings.SCORING_PROCESSES or min(cores(), MOST_LANES)


def _lanes_pay() -> bool:
    """Lanes need connections of their own, so forks on PostgreSQL, and no transaction open
    here (the lanes could not see into it)."""
    return forks_possible() and not connection.in_atomic_block


class LaneDied(Exception):
    """A lane's process ended in the middle of a chunk (killed, or out of memory)."""


# What the forked lanes read: set just before they start, cleared when they end.
_lane_job: tuple[ScoringProfile, datetime.date, bool] | None = None


def _in_lanes(
    parts: list[list[int]],
    lanes: int,
    profile: ScoringProfile,
    as_of: datetime.date,
    roll: bool,
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    """The chunks shared by `lanes` forked processes, each taking the next as it ends one;
    the accounts and snapshots written. A chunk that fails raises here once the chunks
    already running have ended (each commits whole or not at all) and no other starts; a
    lane that dies raises LaneDied."""
    global _lane_job
    profile.engine_profile()  # a profile that cannot score fails here, before any fork
    was_frozen = profile.frozen
    if not was_frozen:
        # Frozen once, here: in each lane's first chunk it would be a row lock that the
        # other lanes' first chunks wait on, holding their accounts locked meanwhile.
        ScoringProfile.objects.filter(pk=profile.pk).update(frozen=True)
        profile.frozen = True
    # A forked lane must not share this process's connection: each opens its own.
    connections.close_all()
    _lane_job = (profile, as_of, roll)
    lanes_pool = ProcessPoolExecutor(
        lanes,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_lane_start,
        initargs=(os.getpid(),),
    )
    try:
        return _chunks_shared(lanes_pool, parts, lanes, progress)
    except BaseException as error:
        lanes_pool.shutdown(wait=True, cancel_futures=True)
        if not was_frozen and not ScoreSnapshot.objects.filter(profile=profile).exists():
            # Nothing was scored under the draft after all: its weights may still change.
            ScoringProfile.objects.filter(pk=profile.pk).update(frozen=False)
            profile.frozen = False
        if isinstance(error, BrokenProcessPool):
            raise LaneDied(
                f"A scoring process stopped in the middle of a chunk ({error}). Every "
                "account is either as it was or fully rescored: run the recompute again to "
                "finish it (with SCORING_PROCESSES=1 to see any error in this process)."
            ) from error
        raise
    finally:
        lanes_pool.shutdown(wait=True, cancel_futures=True)
        _lane_job = None


def _chunks_shared(
    lanes_pool: ProcessPoolExecutor,
    parts: list[list[int]],
    lanes: int,
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    """One chunk per lane at a time, the next given as one ends: once a chunk fails (or
    Ctrl-C), none is left queued to start after it. The accounts and snapshots written."""
    accounts = snapshots = 0
    waiting = iter(parts)
    running = {lanes_pool.submit(_lane_chunk, part) for part in islice(waiting, lanes)}
    while running:
        done, running = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            scored, rows = future.result()
            accounts += scored
            snapshots += rows
            if progress is not None:
                progress(scored)
            if (part := next(waiting, None)) is not None:
                running.add(lanes_pool.submit(_lane_chunk, part))
    return accounts, snapshots


def _lane_start(parent: int) -> None:
    """A lane ends with its parent, whatever ends the parent (its chunk then rolls back),
    rather than wait for chunks that will never come. SIGTERM as the task worker handles it
    (finish, then stop) would keep it alive past that: the default ends it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the line above could tie this lane to it
        os._exit(1)


PR_SET_PDEATHSIG = 1  # prctl(2)


def _lane_chunk(part: list[int]) -> tuple[int, int]:
    assert _lane_job is not None
    profile, as_of, roll = _lane_job
    try:
        result = scores_recompute(
            profile=profile, account_ids=part, as_of=as_of, workers=1, roll=roll
        )
    finally:
        connections.close_all()  # each chunk on a connection of its own, closed after it
    return result.accounts, result.snapshots


def _lines_settled() -> None:
    """After the whole portfolio (or the daily catch-up): each chunk replaced its accounts'
    dashboard lines with what it wrote (under the live version, in the chunk's transaction),
    and every write since has refreshed the lines it changed; the tallies are set to what the
    lines give, whatever counted behind their back (a demo reloaded, lines deleted by hand).
    Building every line again instead would hold every account meanwhile (about 12 s at
    50,000 accounts); a line changed by hand in the database after its chunk ran stays as it
    is until the account's next write or a version going live."""
    lines_settle()


def recompute_queue(
    *,
    profile: ScoringProfile,
    kind: str,
    account_ids: Collection[int] | None = None,
    as_of: datetime.date | None = None,
    rollout: ProfileRollout | None = None,
    chunk: int | None = None,
    task: Task | None = None,
) -> RecomputeJob:
    """A job recomputing `account_ids` (None: every account), one queued task per chunk
    (`task`, by default `recompute_chunk_run`). The tasks are rows of the same database,
    written in the job's own transaction: no worker sees a chunk before its job, and none is
    lost if the transaction rolls back."""
    ids = sorted(set(account_ids)) if account_ids is not None else all_account_ids()
    parts = list(chunks_of(ids, chunk))
    runner = (task or recompute_chunk_run).using(priority=PRIORITY)
    with transaction.atomic():
        job = RecomputeJob.objects.create(
            profile=profile,
            kind=kind,
            rollout=rollout,
            as_of=as_of or timezone.localdate(),
            chunks_total=len(parts),
            accounts_total=len(ids),
        )
        for number, part in enumerate(parts):
            runner.enqueue(job.pk, number, part)
        if not parts:
            _job_finish(job)
    return job


@task()
def account_rescore_run(account_id: int) -> None:
    """The worker's task: rescore one account whose rescore after a write failed."""
    account_rescore(account_id=account_id)


@task()
def recompute_chunk_run(job_id: int, number: int, account_ids: list[int]) -> None:
    """The worker's task: score one chunk of a job, and finish the job if it was the last."""
    chunk_execute(job_id, number, account_ids)


# What a chunk scores when it runs: the job's profile and accounts, or what `narrow` picks
# from them then (the catch-up's accounts still behind, under the version live by then).
Narrow = Callable[[RecomputeJob, list[int]], tuple[ScoringProfile, list[int]]]


def chunk_execute(
    job_id: int,
    number: int,
    account_ids: list[int],
    *,
    workers: int | None = None,
    narrow: Narrow | None = None,
) -> None:
    """Score chunk `number` of the job (its `account_ids`); the last chunk to end ends the
    job. A chunk already done, or a job already ended, does nothing."""
    try:
        job = RecomputeJob.objects.select_related("profile").filter(pk=job_id).first()
        if job is None or not job.is_open or job.has_ended(number):
            return  # deleted, cancelled, failed, or this chunk ran already
        RecomputeJob.objects.filter(pk=job_id, status=RecomputeJob.Status.QUEUED).update(
            status=RecomputeJob.Status.RUNNING
        )
        if job.rollout_id:
            ProfileRollout.objects.filter(
                pk=job.rollout_id, status=ProfileRollout.Status.QUEUED
            ).update(status=ProfileRollout.Status.RUNNING)
        profile, ids = narrow(job, account_ids) if narrow else (job.profile, account_ids)
        scored = 0
        if ids:
            scored = scores_recompute(
                profile=profile,
                account_ids=ids,
                as_of=job.as_of,
                workers=workers or settings.SCORING_PROCESSES,
                # The daily catch-up moves standings on a week; the rest score whole histories.
                roll=job.kind == RecomputeJob.Kind.CATCH_UP,
            ).accounts
        # Counting it in, and for the last chunk finishing the job (a rollout going live).
        _chunk_done(job_id, number, scored)
    except BaseException as error:  # an interrupted worker too: the job must not hang
        logger.exception("Chunk %s of recompute job %s failed", number, job_id)
        _chunk_failed(job_id, number, error)
        raise


def _chunk_done(job_id: int, number: int, scored: int) -> None:
    with transaction.atomic():
        # The row lock orders the chunks ending at the same moment: exactly one of them sees
        # the last chunk end.
        job = RecomputeJob.objects.select_for_update().select_related("profile").get(pk=job_id)
        if not job.is_open or job.has_ended(number):
            return  # the same chunk, run twice at once, ended first elsewhere
        job.finished_chunks = [*job.finished_chunks, number]
        job.chunks_done = len(job.finished_chunks)
        job.accounts_done += scored
        job.save(update_fields=["finished_chunks", "chunks_done", "accounts_done"])
        if job.rollout_id:
            ProfileRollout.objects.filter(pk=job.rollout_id).update(accounts_done=job.accounts_done)
        if job.chunks_ended >= job.chunks_total:
            if job.failed_chunks:  # the others are done; the job says which failed
                job.status, job.finished_at = RecomputeJob.Status.FAILED, timezone.now()
                job.save(update_fields=["status", "finished_at"])
            else:
                _job_finish(job)
    if job.status == RecomputeJob.Status.DONE and job.accounts_total >= CHUNK:
        statistics_refresh()


def _chunk_failed(job_id: int, number: int, error: BaseException) -> None:
    """A rollout fails at its first failed chunk (the live version stays); any other job
    goes on with its other chunks and ends as failed, naming the error."""
    message = f"{type(error).__name__}: {error}"[:2000]
    try:
        with transaction.atomic():
            job = RecomputeJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None or not job.is_open or job.has_ended(number):
                return
            if job.rollout_id:
                job_fail(job_id, message)
                return
            job.failed_chunks = [*job.failed_chunks, number]
            job.error = f"{len(job.failed_chunks)} chunk(s) failed; the last: {message}"
            if job.chunks_ended >= job.chunks_total:
                job.status, job.finished_at = RecomputeJob.Status.FAILED, timezone.now()
            job.save(update_fields=["failed_chunks", "error", "status", "finished_at"])
    except Exception:
        # The database itself may be what failed; `recompute_jobs resume` picks the job up.
        logger.exception("Recording the failure of recompute job %s failed", job_id)


def _job_finish(job: RecomputeJob) -> None:
    """Every chunk is done: a rollout's version goes live; the job is done."""
    if job.rollout_id:
        rollout = ProfileRollout.objects.select_related("requested_by").get(pk=job.rollout_id)
        profile_activate(profile=job.profile)
        ProfileRollout.objects.filter(pk=rollout.pk).update(
            status=ProfileRollout.Status.DONE, is_open=False, finished_at=timezone.now()
        )
        ProfileChange.objects.create(
            profile=job.profile,
            actor=rollout.requested_by,
            action=ProfileChange.Action.APPLIED,
            summary=f"Live ({job.accounts_done} accounts recomputed)",
        )
    elif job.kind in (RecomputeJob.Kind.FULL, RecomputeJob.Kind.CATCH_UP):
        _lines_settled()
    job.status = RecomputeJob.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    logger.info(
        "%s under v%s: %d accounts in %d chunks",
        job.get_kind_display(),
        job.profile.version,
        job.accounts_done,
        job.chunks_total,
    )


def job_fail(job_id: int, message: str) -> None:
    """End the job now (its remaining chunks will do nothing); a rollout fails with it and the
    live version stays."""
    now = timezone.now()
    RecomputeJob.objects.filter(pk=job_id).exclude(status=RecomputeJob.Status.DONE).update(
        status=RecomputeJob.Status.FAILED, finished_at=now, error=message
    )
    rollout_id = RecomputeJob.objects.filter(pk=job_id).values_list("rollout_id", flat=True).first()
    if rollout_id:
        ProfileRollout.objects.filter(pk=rollout_id, is_open=True).update(
            status=ProfileRollout.Status.FAILED, is_open=False, finished_at=now, error=message
        )


class CannotResume(Exception):
    pass


class ChunkLost(Exception):
    """What a chunk's task is marked failed with when it is queued again (`chunks_reclaim`)."""


def _is_chunk(path: str, args: list) -> bool:
    """Whether a queued task is a chunk of a job: (job id, chunk number, account ids)."""
    return path.startswith("scoring.jobs.") and len(args) == 3


def chunks_reclaim(*, now: datetime.datetime | None = None) -> int:
    """Queue again every chunk of an open job whose task has been running for longer than
    CHUNK_LOST_AFTER and none of whose accounts is locked: its worker was killed in the middle
    of it, and nothing else would ever end it. The lost run is marked failed with ChunkLost, so
    that of several workers looking at once only one queues it. Returns how many were queued.
    The running workers' schedulers call this every few minutes (reminders/worker.py);
    `recompute_jobs resume` queues a whole job's unfinished chunks again by hand."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    lost = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        started_at__lt=now - CHUNK_LOST_AFTER,
        task_path__startswith="scoring.jobs.",
    ).values_list("pk", "task_path", "args_kwargs__args", "worker_ids", "started_at")
    queued = 0
    for pk, path, args, workers, started_at in lost:
        if not _is_chunk(path, args):
            continue
        since = started_at.isoformat() if started_at else "?"  # never None here: see the filter
        try:
            with transaction.atomic():
                if _held(args[2]):
                    # Its transaction still holds them: the worker is alive but slow, or its
                    # machine is gone and the server has not noticed yet. Queued again, the
                    # chunk would only wait for those locks, holding up a worker meanwhile.
                    continue
                if not _lost_marked(pk, workers, since, now):
                    continue  # another worker's scheduler took it first, or it ended meanwhile
                job = RecomputeJob.objects.filter(pk=args[0]).first()
                if job is None or not job.is_open or job.has_ended(args[1]):
                    continue
                import_string(path).using(priority=PRIORITY).enqueue(*args)
        except Exception:  # one that cannot be queued again (its task moved) stops no other
            logger.exception("Chunk %s of recompute job %s could not be queued again", *args[:2])
            continue
        queued += 1
        logger.warning(
            "Chunk %s of recompute job %s lost its worker (running since %s): queued again",
            args[1],
            args[0],
            since,
        )
    return queued


def _held(account_ids: list[int]) -> bool:
    """Whether a transaction holds any of `account_ids` locked, as a running chunk does (on
    PostgreSQL; SQLite has no row locks, and a killed process leaves no lock behind)."""
    if not connection.features.has_select_for_update_skip_locked:
        return False
    accounts = Account.objects.filter(pk__in=account_ids)
    free = accounts.select_for_update(skip_locked=True, no_key=True).values_list("pk")
    return len(free) < accounts.count()


def _lost_marked(pk: uuid.UUID, workers: list[str], since: str, now: datetime.datetime) -> bool:
    """Mark a chunk's run as lost (failed), unless it has ended or was marked meanwhile."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return bool(
        DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=f"{ChunkLost.__module__}.{ChunkLost.__qualname__}",
            traceback=(
                f"ChunkLost: worker {workers[-1] if workers else '?'} started this chunk at "
                f"{since} and never ended it."
            ),
        )
    )


def job_resume(job: RecomputeJob) -> int:
    """Queue again every chunk of `job` that has not finished (after a worker was killed in
    the middle of one, say, or a chunk failed); the number queued. A chunk that is still
    running somewhere is harmless to queue: whichever run ends second does nothing."""
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        job = RecomputeJob.objects.select_for_update().get(pk=job.pk)
        if job.status == RecomputeJob.Status.DONE:
            raise CannotResume(f"Job {job.pk} is done.")
        if (
            job.rollout_id
            and not ProfileRollout.objects.filter(pk=job.rollout_id, is_open=True).exists()
        ):
            raise CannotResume(
                f"Job {job.pk} belonged to a rollout that has ended; apply the version again "
                "from the tuning page."
            )
        tasks: dict[int, tuple[str, list]] = {}
        waiting: set[int] = set()
        for path, args, status in DBTaskResult.objects.filter(
            args_kwargs__args__0=job.pk
        ).values_list("task_path", "args_kwargs__args", "status"):
            if _is_chunk(path, args):
                tasks.setdefault(args[1], (path, args))
                if status == "READY":
                    waiting.add(args[1])  # still in the queue: queuing it again adds nothing
        missing = [
            number
            for number in range(job.chunks_total)
            if number not in job.finished_chunks and number not in waiting
        ]
        gone = [number for number in missing if number not in tasks]
        if gone:
            raise CannotResume(
                f"Job {job.pk}: the queue no longer holds chunk(s) "
                f"{', '.join(map(str, gone[:10]))} (pruned); cancel it and queue a new "
                "recompute."
            )
        for number in missing:
            path, args = tasks[number]
            import_string(path).using(priority=PRIORITY).enqueue(*args)
        job.failed_chunks, job.error, job.finished_at = [], "", None
        job.status = RecomputeJob.Status.RUNNING if job.chunks_done else RecomputeJob.Status.QUEUED
        job.save(update_fields=["failed_chunks", "error", "finished_at", "status"])
    return len(missing)
