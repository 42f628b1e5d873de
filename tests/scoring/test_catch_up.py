"""Quiet accounts keep moving: the daily catch-up rolls them into the current week, so their
fading evidence and their silence show on every page without anyone logging anything."""

import datetime
import importlib

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import AccountStatus
from scoring.engine.curve import week_ending
from scoring.jobs.catch_up import (
    catch_up_schedule,
    next_daily_run,
    scores_catch_up,
    scores_catch_up_run,
    stale_account_ids,
)
from scoring.models import RecomputeJob, ScoreSnapshot
from scoring.selectors import profile_active
from scoring.services import account_rescore
from tests.conftest import work_the_queue
from tests.factories import AccountFactory, InteractionFactory

pytestmark = pytest.mark.usefixtures("migrated_rows")

TODAY = timezone.localdate()
WENT_QUIET = TODAY - datetime.timedelta(days=70)


def _weekly_client(*, until: datetime.date, **fields):
    """An account met every week for half a year up to `until`, scored as of that day."""
    account = AccountFactory.create(**fields)
    for week in range(26):
        InteractionFactory(account=account, occurred_on=until - datetime.timedelta(weeks=week))
    account_rescore(account_id=account.pk, as_of=until)
    return account


def _latest(account):
    return ScoreSnapshot.objects.get(account=account, profile=profile_active(), is_latest=True)


def _catch_up_tasks():
    return DBTaskResult.objects.filter(task_path=scores_catch_up_run.module_path)


def test_a_quiet_account_is_rolled_into_this_week_and_its_silence_counts():
    quiet = _weekly_client(until=WENT_QUIET)
    before = _latest(quiet)
    assert before.week_ending == week_ending(WENT_QUIET)
    assert "silence" not in {key for key, *_ in before.risk_drivers}
    history = set(ScoreSnapshot.objects.filter(account=quiet, is_latest=False).values_list("pk"))

    assert scores_catch_up(today=TODAY) == 1

    # The weeks before the one in progress stay as stored: only the rest is written.
    assert history <= set(ScoreSnapshot.objects.filter(account=quiet).values_list("pk"))

    after = _latest(quiet)
    assert after.week_ending == week_ending(TODAY)
    assert after.decline_risk > before.decline_risk
    assert "silence" in {key for key, *_ in after.risk_drivers}
    # Every week in between is filled in, as a rescore of the account today would.
    weeks = list(
        ScoreSnapshot.objects.filter(account=quiet)
        .order_by("week_ending")
        .values_list("week_ending", "score", "decline_risk")
    )
    account_rescore(account_id=quiet.pk, as_of=TODAY)
    assert weeks == list(
        ScoreSnapshot.objects.filter(account=quiet)
        .order_by("week_ending")
        .values_list("week_ending", "score", "decline_risk")
    )
    assert weeks[-1][0] - weeks[-2][0] == datetime.timedelta(weeks=1)


def test_current_and_lost_accounts_are_left_alone_and_a_second_run_finds_nothing():
    current = _weekly_client(until=TODAY)
    lost_on = WENT_QUIET + datetime.timedelta(days=1)
    lost = _weekly_client(until=WENT_QUIET)
    lost.status, lost.lost_on, lost.lost_note = AccountStatus.LOST, lost_on, "Went elsewhere"
    lost.save()
    quiet = _weekly_client(until=WENT_QUIET)
    snapshots_of_current = list(ScoreSnapshot.objects.filter(account=current).values_list("pk"))

    assert stale_account_ids(profile=profile_active(), today=TODAY) == [quiet.pk]
    assert scores_catch_up(today=TODAY) == 1
    assert scores_catch_up(today=TODAY) == 0

    assert list(ScoreSnapshot.objects.filter(account=current).values_list("pk")) == (
        snapshots_of_current
    )
    assert _latest(lost).week_ending == week_ending(WENT_QUIET)


def test_migrating_queues_a_catch_up_once_and_each_run_queues_the_next_day():
    _catch_up_tasks().delete()
    quiet = _weekly_client(until=WENT_QUIET)
    history = list(
        ScoreSnapshot.objects.filter(account=quiet, is_latest=False).values_list("pk", flat=True)
    )

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert _catch_up_tasks().count() == 1

    work_the_queue()  # the worker runs it

    assert _latest(quiet).week_ending == week_ending(TODAY)
    # The run says how many accounts it rolled, and the workers shared them as chunks.
    job = RecomputeJob.objects.get(kind="catch_up")
    assert (job.status, job.accounts_total, job.accounts_done) == ("done", 1, 1)
    # The worker's chunk rolled it too: the weeks stored before were kept.
    assert ScoreSnapshot.objects.filter(account=quiet, pk__in=history).count() == len(history)
    done, following = _catch_up_tasks().order_by("enqueued_at")
    assert done.status == "SUCCESSFUL"
    assert (following.status, following.run_after) == ("READY", next_daily_run(TODAY))
    assert next_daily_run(TODAY).date() == TODAY + datetime.timedelta(days=1)
    # Tomorrow's run is waiting: another is not queued behind it, but a run at once still is
    # (a deployment after a quiet spell catches up straight away).
    assert catch_up_schedule(run_after=next_daily_run(TODAY)) is None
    assert catch_up_schedule() is not None
    assert catch_up_schedule() is None


def test_accounts_with_evidence_but_no_standing_are_scored_and_empty_ones_left_alone():
    """After an upgrade of the model removes the old snapshots, the catch-up scores every
    account again, the lost ones included; an account with nothing logged has nothing to do."""
    active = _weekly_client(until=TODAY)
    lost = _weekly_client(until=WENT_QUIET)
    lost.status, lost.lost_on, lost.lost_note = AccountStatus.LOST, WENT_QUIET, "Went elsewhere"
    lost.save()
    empty = AccountFactory()
    ScoreSnapshot.objects.all().delete()

    assert stale_account_ids(profile=profile_active(), today=TODAY) == sorted([active.pk, lost.pk])
    assert scores_catch_up(today=TODAY) == 2

    assert _latest(active).week_ending == week_ending(TODAY)
    assert _latest(lost).week_ending == week_ending(WENT_QUIET)
    assert not ScoreSnapshot.objects.filter(account=empty).exists()
    assert scores_catch_up(today=TODAY) == 0


def test_a_catch_up_queued_before_the_jobs_moved_still_runs_after_the_upgrade():
    from django.apps import apps

    jobs_moved = importlib.import_module("scoring.migrations.0010_jobs_moved")
    quiet = _weekly_client(until=WENT_QUIET)
    _catch_up_tasks().delete()
    queued = catch_up_schedule()
    # As an older release queued it, under the module that held every task then.
    DBTaskResult.objects.filter(pk=queued.id).update(task_path="scoring.tasks.scores_catch_up_run")

    jobs_moved.forwards(apps, None)
    work_the_queue()

    assert DBTaskResult.objects.get(pk=queued.id).status == "SUCCESSFUL"
    assert _latest(quiet).week_ending == week_ending(TODAY)


def _weeks_of(account):
    return list(
        ScoreSnapshot.objects.filter(account=account, profile=profile_active())
        .order_by("week_ending")
        .values_list("week_ending", "score", "stage", "decline_risk", "risk_drivers", "is_latest")
    )


def test_an_account_whose_stored_weeks_no_longer_match_its_evidence_is_rolled_whole():
    """Evidence gone without its rescore (a failed one): the roll scores such an account
    whole, as a full recompute would, and the rest of its chunk still rolls."""
    shortened = _weekly_client(until=WENT_QUIET)  # loses its first half year of meetings
    emptied = _weekly_client(until=WENT_QUIET)  # loses everything
    quiet = _weekly_client(until=WENT_QUIET)
    # A query's delete queues the rescores for the commit, which a test never reaches.
    first = shortened.interactions.order_by("occurred_on").values_list("pk", flat=True)[:10]
    shortened.interactions.filter(pk__in=list(first)).delete()
    emptied.interactions.all().delete()

    assert scores_catch_up(today=TODAY) == 3

    assert not ScoreSnapshot.objects.filter(account=emptied).exists()
    rolled = _weeks_of(shortened)
    assert rolled[0][0] == week_ending(WENT_QUIET - datetime.timedelta(weeks=15))
    account_rescore(account_id=shortened.pk, as_of=TODAY)
    assert rolled == _weeks_of(shortened)
    assert _latest(quiet).week_ending == week_ending(TODAY)


def test_an_account_left_with_weeks_but_no_standing_is_rolled_on_without_a_clash():
    account = _weekly_client(until=WENT_QUIET)
    ScoreSnapshot.objects.filter(account=account, is_latest=True).delete()
    quiet = _weekly_client(until=WENT_QUIET)

    assert scores_catch_up(today=TODAY) == 2

    rolled = _weeks_of(account)
    account_rescore(account_id=account.pk, as_of=TODAY)
    assert rolled == _weeks_of(account)
    assert _latest(quiet).week_ending == week_ending(TODAY)
