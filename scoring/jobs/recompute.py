"""Recomputing many accounts in chunks: in this process, or as tasks that any worker claims.

A chunk is a few hundred accounts scored in one transaction (`scores_recompute` with their
ids): their evidence is read, their snapshots replaced and committed, and the memory goes
before the next chunk. So the memory of a recompute does not grow with the portfolio, no
account stays locked for longer than its chunk takes, and an interrupted run leaves every
account either as it was or fully rescored, never half-written.

`recompute_in_process` works through the chunks one after another (the `recompute_scores`
command). `recompute_queue` makes a `RecomputeJob` and queues one task per chunk; every worker
watching the queue (`manage.py run_worker`, on this machine or another against the same
database) claims chunks until none is left, and whichever finishes the last chunk finishes the
job: a rollout's version goes live then, never half-computed.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Collection, Iterator, Sequence

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from accounts.models import Account
from scoring.models import (
    ProfileChange,
    ProfileRollout,
    RecomputeJob,
    ScoreSnapshot,
    ScoringProfile,
)
from scoring.services import RecomputeResult, profile_activate, scores_recompute

logger = logging.getLogger(__name__)

# Accounts per chunk: enough for every core of a worker to be busy (scoring/portfolio.py
# forks from 500), few enough that an account is locked for a few seconds at most and a chunk
# holds a few tens of megabytes of evidence.
CHUNK = 500


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
) -> RecomputeResult:
    """Recompute `account_ids` (None: every account) under `profile`, chunk after chunk, each
    committed on its own. Running it again after an interruption finishes the job."""
    as_of = as_of or timezone.localdate()
    ids = sorted(account_ids) if account_ids is not None else all_account_ids()
    accounts = snapshots = 0
    for part in chunks_of(ids, chunk):
        result = scores_recompute(
            profile=profile, account_ids=part, as_of=as_of, progress=progress, workers=workers
        )
        accounts += result.accounts
        snapshots += result.snapshots
    if len(ids) >= (chunk or CHUNK):
        statistics_refresh()
    return RecomputeResult(profile.version, accounts, snapshots)


def recompute_queue(
    *,
    profile: ScoringProfile,
    kind: str,
    account_ids: Sequence[int] | None = None,
    as_of: datetime.date | None = None,
    rollout: ProfileRollout | None = None,
    chunk: int | None = None,
) -> RecomputeJob:
    """A job recomputing `account_ids` (None: every account), one queued task per chunk. The
    tasks are rows of the same database, written in the job's own transaction: no worker sees
    a chunk before its job, and none is lost if the transaction rolls back."""
    ids = sorted(account_ids) if account_ids is not None else all_account_ids()
    parts = list(chunks_of(ids, chunk))
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
            recompute_chunk_run.enqueue(job.pk, number, part)
        if not parts:
            _job_finish(job)
    return job


@task()
def recompute_chunk_run(job_id: int, number: int, account_ids: list[int]) -> None:
    """The worker's task: score one chunk of a job, and finish the job if it was the last."""
    chunk_execute(job_id, number, account_ids)


def chunk_execute(
    job_id: int, number: int, account_ids: list[int], *, workers: int | None = None
) -> None:
    """Score chunk `number` of the job (its `account_ids`); the last chunk to finish finishes
    the job. A chunk already done, or a job already ended, does nothing."""
    job = RecomputeJob.objects.select_related("profile").filter(pk=job_id).first()
    if job is None or job.status in (RecomputeJob.Status.DONE, RecomputeJob.Status.FAILED):
        return  # deleted, or ended by a failed chunk: the rest of its chunks have no purpose
    if number in job.finished_chunks:
        return
    RecomputeJob.objects.filter(pk=job_id, status=RecomputeJob.Status.QUEUED).update(
        status=RecomputeJob.Status.RUNNING
    )
    if job.rollout_id:
        ProfileRollout.objects.filter(
            pk=job.rollout_id, status=ProfileRollout.Status.QUEUED
        ).update(status=ProfileRollout.Status.RUNNING)
    try:
        scores_recompute(
            profile=job.profile,
            account_ids=account_ids,
            as_of=job.as_of,
            workers=workers or settings.SCORING_PROCESSES,
        )
        with transaction.atomic():
            # The row lock orders the chunks finishing at the same moment: exactly one of them
            # sees the count reach the total.
            job = RecomputeJob.objects.select_for_update().select_related("profile").get(pk=job_id)
            if number in job.finished_chunks or job.status != RecomputeJob.Status.RUNNING:
                return  # the same chunk, run twice at once, finished first elsewhere
            job.finished_chunks = [*job.finished_chunks, number]
            job.chunks_done = len(job.finished_chunks)
            job.accounts_done += len(account_ids)
            job.save(update_fields=["finished_chunks", "chunks_done", "accounts_done"])
            if job.rollout_id:
                ProfileRollout.objects.filter(pk=job.rollout_id).update(
                    accounts_done=job.accounts_done
                )
            if job.chunks_done >= job.chunks_total:
                _job_finish(job)
    except Exception as error:
        logger.exception("A chunk of recompute job %s failed", job_id)
        job_fail(job_id, error)
        raise
    if job.status == RecomputeJob.Status.DONE and job.accounts_total >= CHUNK:
        statistics_refresh()


def _job_finish(job: RecomputeJob) -> None:
    """The last chunk is done: a rollout's version goes live; the job is done."""
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
            summary=f"Live ({job.accounts_total} accounts recomputed)",
        )
    job.status = RecomputeJob.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    logger.info(
        "%s under v%s: %d accounts in %d chunks",
        job.get_kind_display(),
        job.profile.version,
        job.accounts_total,
        job.chunks_total,
    )


def job_fail(job_id: int, error: BaseException) -> None:
    """End the job (its remaining chunks will do nothing); a rollout fails with it and the
    live version stays."""
    message = f"{type(error).__name__}: {error}"
    now = timezone.now()
    RecomputeJob.objects.filter(pk=job_id).exclude(status=RecomputeJob.Status.DONE).update(
        status=RecomputeJob.Status.FAILED, finished_at=now, error=message
    )
    rollout_id = RecomputeJob.objects.filter(pk=job_id).values_list("rollout_id", flat=True).first()
    if rollout_id:
        ProfileRollout.objects.filter(pk=rollout_id, is_open=True).update(
            status=ProfileRollout.Status.FAILED, is_open=False, finished_at=now, error=message
        )


def statistics_refresh() -> None:
    """Fresh statistics after a bulk write keep the one-account queries on their indexes
    (autovacuum may be slow to notice, or off)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ScoreSnapshot._meta.db_table}")
