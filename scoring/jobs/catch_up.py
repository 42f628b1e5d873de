"""The catch-up job: keeping every standing current while nothing is logged.

Writes rescore the account they touch, but a quiet account is exactly the one whose standing
must keep moving: evidence fades and silence raises decline risk (docs/model.md, Decline risk). Once
a day the worker rolls each active account whose latest snapshot belongs to an earlier week into the
current one (`scores_catch_up`), then queues itself for the next day. Migrating the database queues
the first run, so a deployment after a quiet spell catches up at once.

Only accounts that can have moved are touched: an active one whose standing is from an earlier
week (its silence has grown and its evidence faded since, so its standing has changed), or one
with evidence and no standing. Within the week nothing is rolled: each write rescores its own
account, and a standing is read by the week. A rolled account keeps its stored weeks; only the
week that was in progress and the weeks since are written (`scores_recompute(roll=True)`), so
the roll writes a few rows per account where a full recompute rewrites years of them. A full
recompute happens only when a profile version changes (its rollout) or by hand.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Collection

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tasks import task

from accounts.models import Account, AccountStatus
from relationships.models import Assessment, Interaction, TrustSignal
from scoring.engine.curve import week_ending
from scoring.jobs.recompute import chunk_execute, recompute_in_process, recompute_queue
from scoring.models import RecomputeJob, ScoreSnapshot, ScoringProfile
from scoring.selectors import profile_active
from scoring.standing_lines import lines_settle

logger = logging.getLogger(__name__)

# The next day's run starts shortly after midnight (TIME_ZONE decides when that is).
DAILY_AT = datetime.time(0, 10)


def stale_account_ids(
    *, profile: ScoringProfile, today: datetime.date, among: Collection[int] | None = None
) -> list[int]:
    """Accounts (of `among`, None: all) whose standing under `profile` needs computing:
    active ones whose latest snapshot is from before this week, and any account with evidence
    but no standing at all (after an upgrade of the model removed the old snapshots, say)."""
    behind = ScoreSnapshot.objects.filter(
        profile=profile,
        is_latest=True,
        week_ending__lt=week_ending(today),
        account__status=AccountStatus.ACTIVE,
    ).values_list("account_id", flat=True)
    standing = ScoreSnapshot.objects.filter(
        profile=profile, is_latest=True, account_id=OuterRef("pk")
    )
    unscored = (
        Account.objects.filter(
            Exists(Interaction.objects.filter(account_id=OuterRef("pk")))
            | Exists(TrustSignal.objects.filter(account_id=OuterRef("pk")))
            | Exists(Assessment.objects.filter(account_id=OuterRef("pk")))
        )
        .filter(~Exists(standing))
        .values_list("pk", flat=True)
    )
    if among is not None:
        behind, unscored = behind.filter(account_id__in=among), unscored.filter(pk__in=among)
    return sorted({*behind, *unscored})


def scores_catch_up(*, today: datetime.date | None = None, workers: int | None = None) -> int:
    """Rescore here, as of `today`, every active account left in an earlier week under the
    live profile; the number rescored. Idempotent: a second run the same day finds none."""
    today = today or timezone.localdate()
    profile = profile_active()
    ids = stale_account_ids(profile=profile, today=today)
    recompute_in_process(profile=profile, account_ids=ids, as_of=today, workers=workers, roll=True)
    lines_settle()
    if ids:
        logger.info("Brought %d accounts' standings up to the week of %s", len(ids), today)
    return len(ids)


def catch_up_queue(*, today: datetime.date | None = None) -> RecomputeJob | None:
    """The same as a job whose chunks every worker shares (None when no account is behind);
    the job counts the accounts it rolled."""
    today = today or timezone.localdate()
    profile = profile_active()
    ids = stale_account_ids(profile=profile, today=today)
    if not ids:
        return None
    job = recompute_queue(
        profile=profile,
        kind=RecomputeJob.Kind.CATCH_UP,
        account_ids=ids,
        as_of=today,
        task=catch_up_chunk_run,
    )
    logger.info("Catch-up to the week of %s: %d accounts queued", today, len(ids))
    return job


@task()
def catch_up_chunk_run(job_id: int, number: int, account_ids: list[int]) -> None:
    """The worker's task: roll the accounts of one chunk that are still behind when it runs,
    under the version live then (a rollout may have made another live since it was queued,
    and another catch-up or a write may have rolled them already)."""
    chunk_execute(job_id, number, account_ids, narrow=_still_behind)


def _still_behind(job: RecomputeJob, account_ids: list[int]) -> tuple[ScoringProfile, list[int]]:
    profile = profile_active()
    return profile, stale_account_ids(profile=profile, today=job.as_of, among=account_ids)


def catch_up_schedule(*, run_after: datetime.datetime | None = None):
    """Queue a catch-up, at once or at `run_after`; the queued task's result, or None when
    one is already waiting (due now, for a run at once; at any time, for a later one, since
    each run queues the next)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult._meta.db_table not in connection.introspection.table_names():
        return None  # a partial migration: the queue's table is not there yet
    waiting = DBTaskResult.objects.filter(
        task_path=scores_catch_up_run.module_path, status=TaskResultStatus.READY
    )
    if run_after is None:
        waiting = waiting.ready()
    if waiting.exists():
        return None
    return scores_catch_up_run.using(run_after=run_after).enqueue()


def next_daily_run(today: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), DAILY_AT)
    )


@task()
def scores_catch_up_run() -> None:
    """The worker's task: queue the quiet accounts' roll into the current week for every
    worker to share, then queue tomorrow's run."""
    try:
        catch_up_queue()
    finally:
        catch_up_schedule(run_after=next_daily_run(timezone.localdate()))
