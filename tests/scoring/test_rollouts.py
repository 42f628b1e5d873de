"""Making a scoring profile version live in the background, and rolling back."""

from unittest import mock

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from scoring.engine import DEFAULTS
from scoring.jobs import recompute
from scoring.jobs import rollout as rollouts
from scoring.models import ProfileChange, ProfileRollout, ScoreSnapshot
from scoring.selectors import profile_active
from scoring.services import account_rescore, profile_create, scores_recompute
from tests.conftest import work_the_queue
from tests.factories import AccountFactory
from tests.scoring.test_services import _history, _rows


@pytest.fixture
def portfolio(alice):
    accounts = [AccountFactory(owner=alice) for _ in range(3)]
    for account in accounts:
        _history(account, weeks=12)
    scores_recompute()
    return accounts


def _start_and_work(profile, actor, django_capture_on_commit_callbacks):
    """Queue a rollout as the tuning page does, then let a real worker run the queue."""
    with django_capture_on_commit_callbacks(execute=True):
        rollout = rollouts.profile_rollout_start(profile=profile, actor=actor)
    queued = ProfileRollout.objects.get(pk=rollout.pk)
    work_the_queue()
    return queued, ProfileRollout.objects.get(pk=rollout.pk)


def test_applying_switches_only_once_the_history_is_complete(
    portfolio, alice, django_capture_on_commit_callbacks
):
    live_before = _rows()
    draft = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rollout = rollouts.profile_rollout_start(profile=draft, actor=alice)
    # Queued, not yet worked on: the old version is still the live one, untouched.
    assert len(callbacks) == 1
    assert profile_active().version == 1 and _rows() == live_before
    assert rollout.status == "queued" and rollout.percent == 0

    work_the_queue()  # nothing queued: the enqueue never ran
    for callback in callbacks:
        callback()
    work_the_queue()

    rollout.refresh_from_db()
    assert (rollout.status, rollout.percent, rollout.is_open) == ("done", 100, False)
    assert rollout.accounts_done == rollout.accounts_total == 3
    assert profile_active() == draft
    after = _rows()
    scores_recompute(profile=draft)  # a clean recompute under the same version
    assert _rows() == after
    assert ProfileChange.objects.filter(profile=draft, summary__startswith="Live (").exists()


def test_rolling_back_restores_the_earlier_versions_snapshots(
    portfolio, alice, django_capture_on_commit_callbacks
):
    first = profile_active()
    original = _rows(first)
    draft = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)
    _start_and_work(draft, alice, django_capture_on_commit_callbacks)
    assert profile_active() == draft

    _, rollback = _start_and_work(first, alice, django_capture_on_commit_callbacks)

    assert rollback.status == "done"
    assert profile_active() == first
    assert _rows(first) == original
    assert ProfileChange.objects.filter(profile=first, action="rolled_back").exists()


def test_writes_during_a_rollout_are_scored_under_both_versions(
    portfolio, alice, django_capture_on_commit_callbacks
):
    draft = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)
    with django_capture_on_commit_callbacks(execute=False):
        rollouts.profile_rollout_start(profile=draft, actor=alice)
    latecomer = AccountFactory(owner=alice)
    _history(latecomer, weeks=3)

    account_rescore(account_id=latecomer.pk)

    assert ScoreSnapshot.objects.filter(account=latecomer, profile=profile_active()).exists()
    assert ScoreSnapshot.objects.filter(account=latecomer, profile=draft).exists()


def test_one_rollout_at_a_time_and_a_failure_leaves_the_live_version(
    portfolio, alice, django_capture_on_commit_callbacks
):
    draft = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)
    other = profile_create(params={**DEFAULTS, "hysteresis": 6}, created_by=alice)
    with django_capture_on_commit_callbacks(execute=False):
        rollout = rollouts.profile_rollout_start(profile=draft, actor=alice)
    with pytest.raises(rollouts.RolloutBusy):
        rollouts.profile_rollout_start(profile=other, actor=alice)

    # The worker claims the rollout and queues its chunks; the first chunk fails.
    with mock.patch.object(recompute, "scores_recompute", side_effect=RuntimeError("disk full")):
        rollouts.rollout_execute(rollout.pk, as_of=timezone.localdate())
        work_the_queue()

    rollout.refresh_from_db()
    assert (rollout.status, rollout.is_open) == ("failed", False)
    assert "disk full" in rollout.error
    assert profile_active().version == 1
    assert rollout.job.status == "failed"


def test_a_rollout_in_many_chunks_goes_live_after_the_last_one(
    portfolio, alice, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(recompute, "CHUNK", 2)  # three accounts: two chunks
    draft = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)
    with django_capture_on_commit_callbacks(execute=False):
        rollout = rollouts.profile_rollout_start(profile=draft, actor=alice)
    rollouts.rollout_execute(rollout.pk)
    job = rollout.job
    assert (job.chunks_total, job.accounts_total) == (2, 3)

    # One chunk done: progress shows, the old version is still the live one.
    chunks = DBTaskResult.objects.filter(task_path=recompute.recompute_chunk_run.module_path)
    first = chunks.order_by("enqueued_at").first().args_kwargs["args"]
    assert first[:2] == [job.pk, 0]
    recompute.chunk_execute(*first)
    rollout.refresh_from_db()
    assert (rollout.status, rollout.accounts_done, rollout.percent) == ("running", 2, 66)
    assert profile_active().version == 1

    work_the_queue()  # the worker runs both queued chunks; the first is found done already
    rollout.refresh_from_db()
    assert (rollout.status, rollout.is_open) == ("done", False)
    assert profile_active() == draft
    assert rollout.job.chunks_done == 2 and rollout.job.accounts_done == 3
    after = _rows(draft)
    scores_recompute(profile=draft)  # every account, each once: as a clean recompute gives
    assert _rows(draft) == after
