"""Recomputes on the queue: what happens when a chunk fails, a worker dies, a job is queued
twice or a version goes live while one waits, and what operators can do about it."""

import datetime
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Account
from scoring.engine import DEFAULTS
from scoring.engine.curve import week_ending
from scoring.jobs import catch_up, recompute
from scoring.jobs import rollout as rollouts
from scoring.models import RecomputeJob, ScoreSnapshot
from scoring.selectors import profile_active
from scoring.services import profile_activate, profile_create, scores_recompute
from scoring.use_cases import portfolio_import
from tests.conftest import work_the_queue
from tests.factories import AccountFactory
from tests.relationships.test_import import _bundle
from tests.scoring.test_services import _history, _rows

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def portfolio(alice, monkeypatch):
    monkeypatch.setattr(recompute, "CHUNK", 1)  # one account per chunk
    accounts = [AccountFactory(owner=alice) for _ in range(3)]
    for account in accounts:
        _history(account, weeks=12)
    scores_recompute()
    return accounts


def _queued_rollout(alice, django_capture_on_commit_callbacks):
    draft = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)
    with django_capture_on_commit_callbacks(execute=False):
        rollout = rollouts.profile_rollout_start(profile=draft, actor=alice)
    rollouts.rollout_execute(rollout.pk)
    rollout.refresh_from_db()
    return draft, rollout


def test_an_interrupted_worker_fails_the_rollout_and_a_new_one_can_start(
    portfolio, alice, django_capture_on_commit_callbacks
):
    draft, rollout = _queued_rollout(alice, django_capture_on_commit_callbacks)
    # The worker is stopped in the middle of a chunk (a second Ctrl-C, say).
    with (
        mock.patch.object(recompute, "scores_recompute", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        recompute.chunk_execute(rollout.job.pk, 0, [portfolio[0].pk])

    rollout.refresh_from_db()
    assert (rollout.status, rollout.is_open) == ("failed", False)
    assert rollout.job.status == "failed"
    assert profile_active().version == 1
    work_the_queue()  # the rest of its chunks do nothing
    assert profile_active().version == 1
    assert not ScoreSnapshot.objects.filter(profile=draft).exists()
    # The admin applies the version again, and this time it goes live.
    with django_capture_on_commit_callbacks(execute=True):
        rollouts.profile_rollout_start(profile=draft, actor=alice)
    work_the_queue()
    assert profile_active() == draft


def test_a_job_left_by_a_killed_worker_is_resumed_by_the_operator(
    portfolio, alice, django_capture_on_commit_callbacks, capsys
):
    draft, rollout = _queued_rollout(alice, django_capture_on_commit_callbacks)
    job = rollout.job
    # A worker took chunk 0 and was killed outright: its task stays "running" for ever,
    # and so does the job.
    chunk = DBTaskResult.objects.get(args_kwargs__args__0=job.pk, args_kwargs__args__1=0)
    chunk.claim("killed-worker")
    work_the_queue()
    job.refresh_from_db()
    assert (job.status, job.chunks_done) == ("running", 2)
    assert profile_active().version == 1

    call_command("recompute_jobs", "resume", str(job.pk))
    assert capsys.readouterr().out == f"Job {job.pk}: 1 chunk queued.\n"
    work_the_queue()

    job.refresh_from_db()
    assert (job.status, job.chunks_done, job.accounts_done) == ("done", 3, 3)
    assert profile_active() == draft
    after = _rows(draft)
    scores_recompute(profile=draft)
    assert _rows(draft) == after
    with pytest.raises(CommandError, match=f"Job {job.pk} is done"):
        call_command("recompute_jobs", "resume", str(job.pk))


def test_a_chunk_left_by_a_killed_worker_is_queued_again_by_the_workers_themselves(
    portfolio, alice, django_capture_on_commit_callbacks
):
    draft, rollout = _queued_rollout(alice, django_capture_on_commit_callbacks)
    job = rollout.job
    chunk = DBTaskResult.objects.get(args_kwargs__args__0=job.pk, args_kwargs__args__1=0)
    chunk.claim("killed-worker")  # taken, then the worker was killed outright
    work_the_queue()
    claimed = chunk.started_at

    # A chunk takes seconds; one running for minutes may just be slow, and is left alone.
    assert recompute.chunks_reclaim(now=claimed + datetime.timedelta(minutes=5)) == 0
    later = claimed + recompute.CHUNK_LOST_AFTER + datetime.timedelta(seconds=1)
    assert recompute.chunks_reclaim(now=later) == 1
    assert recompute.chunks_reclaim(now=later) == 0  # every worker looks: one queues it
    chunk.refresh_from_db()
    assert chunk.status == "FAILED" and "killed-worker" in chunk.traceback
    work_the_queue()

    job.refresh_from_db()
    assert (job.status, job.chunks_done, job.accounts_done) == ("done", 3, 3)
    assert profile_active() == draft  # the rollout went live once its last chunk ended
    after = _rows(draft)
    scores_recompute(profile=draft)
    assert _rows(draft) == after


def test_a_lost_chunk_of_a_job_already_ended_is_not_queued_again(portfolio):
    job = recompute.recompute_queue(profile=profile_active(), kind=RecomputeJob.Kind.FULL)
    chunk = DBTaskResult.objects.get(args_kwargs__args__0=job.pk, args_kwargs__args__1=0)
    chunk.claim("killed-worker")
    call_command("recompute_jobs", "cancel", str(job.pk))

    later = timezone.now() + recompute.CHUNK_LOST_AFTER + datetime.timedelta(seconds=1)
    assert recompute.chunks_reclaim(now=later) == 0
    assert (
        not DBTaskResult.objects.filter(args_kwargs__args__0=job.pk, status="READY")
        .filter(args_kwargs__args__1=0)
        .exists()
    )


def test_cancelling_a_rollout_keeps_the_live_version(
    portfolio, alice, django_capture_on_commit_callbacks, capsys
):
    draft, rollout = _queued_rollout(alice, django_capture_on_commit_callbacks)

    call_command("recompute_jobs", "cancel", str(rollout.job.pk))
    work_the_queue()

    assert capsys.readouterr().out == f"Job {rollout.job.pk} cancelled.\n"
    rollout.refresh_from_db()
    assert (rollout.status, rollout.is_open, rollout.error) == (
        "failed",
        False,
        "Cancelled by an operator",
    )
    assert profile_active().version == 1
    assert not ScoreSnapshot.objects.filter(profile=draft).exists()
    with pytest.raises(CommandError, match="has already ended"):
        call_command("recompute_jobs", "cancel", str(rollout.job.pk))
    with pytest.raises(CommandError, match="No recompute job 999999"):
        call_command("recompute_jobs", "cancel", "999999")
    call_command("recompute_jobs")
    listed = capsys.readouterr().out
    assert "Version rollout" in listed and "failed" in listed and "0/3 accounts" in listed


def test_a_failed_chunk_of_a_full_recompute_leaves_the_others_to_finish(portfolio):
    ScoreSnapshot.objects.all().delete()
    job = recompute.recompute_queue(profile=profile_active(), kind=RecomputeJob.Kind.FULL)
    real = recompute.scores_recompute

    def second_fails(**kwargs):
        if kwargs["account_ids"] == [portfolio[1].pk]:
            raise RuntimeError("disk full")
        return real(**kwargs)

    with mock.patch.object(recompute, "scores_recompute", side_effect=second_fails):
        work_the_queue()

    job.refresh_from_db()
    assert (job.status, job.chunks_done, job.accounts_done) == ("failed", 2, 2)
    assert job.error == "1 chunk(s) failed; the last: RuntimeError: disk full"
    scored = set(ScoreSnapshot.objects.values_list("account_id", flat=True))
    assert scored == {portfolio[0].pk, portfolio[2].pk}
    # Resumed, only the failed chunk runs again.
    assert recompute.job_resume(job) == 1
    work_the_queue()
    job.refresh_from_db()
    assert (job.status, job.accounts_done) == ("done", 3)
    assert set(ScoreSnapshot.objects.values_list("account_id", flat=True)) == {
        account.pk for account in portfolio
    }


def test_a_catch_up_queued_twice_rolls_each_account_once_under_the_version_live_when_it_runs(
    portfolio, alice, django_capture_on_commit_callbacks
):
    next_week = TODAY + datetime.timedelta(weeks=1)
    first = catch_up.catch_up_queue(today=next_week)
    second = catch_up.catch_up_queue(today=next_week)  # a restart queued another meanwhile
    # And before either runs, another version goes live.
    draft = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)
    scores_recompute(profile=draft)
    profile_activate(profile=draft)

    work_the_queue()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.accounts_done) == ("done", 3)
    assert (second.status, second.accounts_done) == ("done", 0)  # nothing left to roll
    latest = ScoreSnapshot.objects.filter(profile=draft, is_latest=True)
    assert {s.week_ending for s in latest} == {week_ending(next_week)}
    assert catch_up.stale_account_ids(profile=draft, today=next_week) == []
    # Nothing to roll, no job.
    assert catch_up.catch_up_queue(today=next_week) is None


def test_the_queue_counts_an_account_named_twice_once(portfolio, capsys):
    account = str(portfolio[0].pk)
    call_command("recompute_scores", "--queue", "--account", account, "--account", account)
    job = RecomputeJob.objects.get()
    assert (
        capsys.readouterr().out == f"Queued job {job.pk}: 1 account in 1 chunk for the workers.\n"
    )


def test_accounts_imported_during_a_rollout_go_live_with_their_scores(
    portfolio, alice, django_capture_on_commit_callbacks
):
    draft, rollout = _queued_rollout(alice, django_capture_on_commit_callbacks)
    recompute.chunk_execute(rollout.job.pk, 0, [portfolio[0].pk])  # the rollout is under way

    report = portfolio_import(files=_bundle(), dry_run=False, today=TODAY, workers=1)
    work_the_queue()

    assert report.ok and profile_active() == draft
    imported = Account.objects.filter(external_id__in=["A1", "A2"])
    live = ScoreSnapshot.objects.filter(profile=draft, account__in=imported, is_latest=True)
    assert live.count() == 2


def test_a_chunk_whose_accounts_were_all_deleted_meanwhile_just_finishes(portfolio):
    job = recompute.recompute_queue(
        profile=profile_active(), kind=RecomputeJob.Kind.FULL, account_ids=[portfolio[0].pk]
    )
    portfolio[0].delete()

    work_the_queue()

    job.refresh_from_db()
    assert (job.status, job.chunks_done, job.accounts_done, job.error) == ("done", 1, 0, "")


def test_resuming_leaves_waiting_chunks_alone_and_names_chunks_the_queue_lost(portfolio, capsys):
    job = recompute.recompute_queue(profile=profile_active(), kind=RecomputeJob.Kind.FULL)

    call_command("recompute_jobs", "resume", str(job.pk))  # nothing has run: all still waiting
    assert capsys.readouterr().out == f"Job {job.pk}: 0 chunks queued.\n"
    assert DBTaskResult.objects.filter(args_kwargs__args__0=job.pk).count() == 3

    # The queue's rows were cleaned away before any worker ran them.
    DBTaskResult.objects.filter(args_kwargs__args__0=job.pk).delete()
    with pytest.raises(CommandError, match=r"no longer holds chunk\(s\) 0, 1, 2 \(pruned\)"):
        call_command("recompute_jobs", "resume", str(job.pk))
    call_command("recompute_jobs", "cancel", str(job.pk))
    job.refresh_from_db()
    assert job.status == "failed"


def test_a_rollout_that_cannot_go_live_at_the_end_fails_and_the_live_version_stays(
    portfolio, alice, django_capture_on_commit_callbacks
):
    draft, rollout = _queued_rollout(alice, django_capture_on_commit_callbacks)
    with mock.patch.object(recompute, "profile_activate", side_effect=RuntimeError("lock timeout")):
        work_the_queue()

    rollout.refresh_from_db()
    assert (rollout.status, rollout.is_open) == ("failed", False)
    assert "lock timeout" in rollout.error
    assert profile_active().version == 1
