"""Snapshots in the database: profiles, full recompute, incremental rescore after each write."""

import datetime
import signal
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relationships.models import SignalType
from scoring import portfolio, services
from scoring.engine import DEFAULTS, ProfileError
from scoring.engine.curve import week_ending
from scoring.models import RecomputeJob, ScoreSnapshot, ScoringProfile
from scoring.selectors import evidence_for_accounts, profile_active
from scoring.services import (
    ProfileFrozen,
    account_rescore,
    profile_activate,
    profile_create,
    profile_update,
    scores_recompute,
)
from tests.factories import (
    AccountFactory,
    AssessmentFactory,
    ContactFactory,
    InteractionFactory,
    TrustSignalFactory,
)

AS_OF = datetime.date(2026, 5, 31)  # a Sunday


def _signal(account, slug, day):
    return TrustSignalFactory(
        account=account, signal_type=SignalType.objects.get(slug=slug), observed_on=day
    )


def _history(account, weeks=20):
    """Weekly meetings with two contacts and a delivery each fortnight, from early 2026."""
    contacts = [ContactFactory(account=account) for _ in range(2)]
    start = datetime.date(2026, 1, 5)
    for week in range(weeks):
        day = start + datetime.timedelta(weeks=week)
        interaction = InteractionFactory(account=account, occurred_on=day)
        interaction.participants.add(contacts[week % 2])
        if week % 2 == 0:
            _signal(account, "delivered_as_promised", day)
    AssessmentFactory(account=account, assessed_on=start, relevance=4)


def _latest(account):
    return ScoreSnapshot.objects.get(account=account, profile=profile_active(), is_latest=True)


def _rows(profile=None):
    return list(
        ScoreSnapshot.objects.filter(profile=profile or profile_active())
        .order_by("account_id", "week_ending")
        .values_list(
            "account_id", "week_ending", "score", "stage", "decline_risk", "contributions",
            "risk_drivers", "next_stage_gap", "is_latest",
        )
    )  # fmt: skip


# Profiles ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_version_1_ships_active_with_the_default_parameters():
    profile = profile_active()
    assert (profile.version, profile.frozen, profile.params) == (1, True, DEFAULTS)
    assert profile.engine_profile()["stage_thresholds"] == {
        "confidant": 28,
        "consultant": 58,
        "virtual_partner": 73,
    }


@pytest.mark.django_db
def test_only_one_profile_can_be_active():
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringProfile.objects.create(version=2, params=DEFAULTS, is_active=True, frozen=True)


@pytest.mark.django_db
def test_edits_to_a_used_version_must_become_a_new_version(alice):
    with pytest.raises(ProfileFrozen, match="Version 1 is in use; save a new version."):
        profile_update(profile=profile_active(), params={**DEFAULTS, "hysteresis": 6})

    draft = profile_create(params={**DEFAULTS, "hysteresis": 6}, created_by=alice)
    assert (draft.version, draft.frozen, draft.is_active) == (2, False, False)
    draft = profile_update(profile=draft, params={**DEFAULTS, "hysteresis": 8})
    assert draft.params["hysteresis"] == 8

    profile_activate(profile=draft)
    assert profile_active() == draft and draft.frozen
    assert ScoringProfile.objects.get(version=1).is_active is False
    with pytest.raises(ProfileFrozen):
        profile_update(profile=draft, params=DEFAULTS)


@pytest.mark.django_db
def test_a_broken_profile_is_never_saved():
    with pytest.raises(ProfileError) as raised:
        profile_create(params={**DEFAULTS, "hysteresis": -1})
    assert raised.value.errors == {"hysteresis": "Must be between 0 and 20; -1 is out of range."}
    assert ScoringProfile.objects.count() == 1


# Full recompute ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recompute_writes_one_snapshot_per_account_per_week(alices_account, bobs_account):
    _history(alices_account)
    _history(bobs_account, weeks=5)
    result = scores_recompute(as_of=AS_OF)
    assert (result.accounts, result.profile_version) == (2, 1)
    weeks = ScoreSnapshot.objects.filter(account=alices_account).values_list(
        "week_ending", flat=True
    )
    assert list(weeks) == [
        datetime.date(2026, 1, 11) + datetime.timedelta(weeks=n) for n in range(21)
    ]
    assert result.snapshots == ScoreSnapshot.objects.count()
    latest = _latest(alices_account)
    assert latest.week_ending == datetime.date(2026, 5, 31)
    assert latest.score > 0 and latest.stage == "vendor"
    assert latest.next_stage_gap.startswith("confidant needs an invited_to_planning")
    assert {key for key, _, _ in latest.contributions} == {"delivery", "engagement"}
    assert sum(points for _, points, _ in latest.contributions) == pytest.approx(
        latest.score, abs=0.05
    )


@pytest.mark.django_db
def test_recompute_is_idempotent(alices_account, bobs_account):
    _history(alices_account)
    _history(bobs_account)
    scores_recompute(as_of=AS_OF)
    first = _rows()
    scores_recompute(as_of=AS_OF)
    assert _rows() == first


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_recompute_leaves_the_previous_snapshots_intact(alice):
    accounts = [AccountFactory(owner=alice) for _ in range(3)]
    for account in accounts:
        _history(account)
    scores_recompute(as_of=AS_OF)
    before = _rows()
    next_week = AS_OF + datetime.timedelta(days=7)
    real = portfolio.score_timeline
    calls = []

    def fail_on_the_third_account(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    with (
        mock.patch.object(portfolio, "score_timeline", fail_on_the_third_account),
        pytest.raises(RuntimeError),
    ):
        scores_recompute(as_of=next_week)
    assert _rows() == before  # nothing half-written: every account still at the old week
    scores_recompute(as_of=next_week)  # run again: completes
    assert {_latest(account).week_ending for account in accounts} == {next_week}


@pytest.mark.django_db
def test_scoring_on_several_cores_writes_what_one_core_writes(alice, monkeypatch):
    accounts = [AccountFactory(owner=alice) for _ in range(4)]
    for account in accounts:
        _history(account, weeks=6 + accounts.index(account))  # histories of different lengths
    scores_recompute(as_of=AS_OF, workers=1)
    one_core = _rows()
    # Share even this small portfolio out, one account per unit of work (PostgreSQL only:
    # elsewhere it stays in one process and must still give the same rows).
    monkeypatch.setattr(portfolio, "PARALLEL_FROM", 2)
    monkeypatch.setattr(portfolio, "CHUNK", 1)
    result = scores_recompute(as_of=AS_OF, workers=2)
    assert _rows() == one_core
    assert result.snapshots == len(one_core) == 4 * 21  # every week up to AS_OF


@pytest.mark.django_db
@pytest.mark.parametrize("workers", [1, 2])
def test_rolling_into_later_weeks_writes_only_them_and_gives_a_full_recompute_s_rows(
    alice, monkeypatch, workers
):
    """The daily catch-up's roll: stored weeks stay as they are (the same rows), and the
    standings end up exactly as a full recompute as of the later day leaves them."""
    accounts = [AccountFactory(owner=alice) for _ in range(4)]
    for account in accounts:
        _history(account, weeks=6 + accounts.index(account))
    midweek = AS_OF - datetime.timedelta(days=3)
    scores_recompute(as_of=midweek)
    kept = set(
        ScoreSnapshot.objects.filter(is_latest=False).values_list("pk", "week_ending", "score")
    )
    later = AS_OF + datetime.timedelta(weeks=3, days=2)  # a Tuesday, three weeks on
    monkeypatch.setattr(portfolio, "PARALLEL_FROM", 2)  # both paths (forks on PostgreSQL)
    monkeypatch.setattr(portfolio, "CHUNK", 1)

    result = scores_recompute(as_of=later, workers=workers, roll=True)

    # Per account: the week that was in progress (closed now), three whole weeks, this one.
    assert result.snapshots == 4 * 5
    assert kept <= set(ScoreSnapshot.objects.values_list("pk", "week_ending", "score"))
    rolled = _rows()
    scores_recompute(as_of=later, workers=1)
    assert rolled == _rows()
    assert {_latest(account).week_ending for account in accounts} == {
        AS_OF + datetime.timedelta(weeks=4)
    }


@pytest.mark.django_db
def test_a_roll_leaves_an_account_already_past_its_day_alone_and_scores_a_new_one_whole(alice):
    current, unscored = AccountFactory(owner=alice), AccountFactory(owner=alice)
    _history(current)
    account_rescore(account_id=current.pk, as_of=AS_OF)
    before = _rows()
    _history(unscored, weeks=3)

    earlier = AS_OF - datetime.timedelta(weeks=2)
    result = scores_recompute(account_ids=[current.pk, unscored.pk], as_of=earlier, roll=True)

    assert result.accounts == 1
    assert [row for row in _rows() if row[0] == current.pk] == before
    weeks = list(ScoreSnapshot.objects.filter(account=unscored).values_list("week_ending"))
    # Every week from its first meeting's (Monday 5 January) to the day's.
    assert (weeks[0], weeks[-1], len(weeks)) == (
        (datetime.date(2026, 1, 11),),
        (earlier,),
        19,
    )


def test_scoring_workers_end_when_the_pool_closes_even_inside_the_task_worker():
    """The task worker catches SIGTERM to finish its running task first; the scoring pool it
    forks during a rollout must not inherit that, or closing the pool waits for ever."""

    def finish_the_task_first(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, finish_the_task_first)
    try:
        with portfolio.worker_pool(1) as pool:
            assert pool.apply(signal.getsignal, (signal.SIGTERM,)) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.django_db
def test_recompute_under_another_version_leaves_live_scores_alone(alices_account):
    _history(alices_account)
    scores_recompute(as_of=AS_OF)
    live = _rows()
    draft = profile_create(params={**DEFAULTS, "score_scale": 40})
    scores_recompute(profile=draft, as_of=AS_OF)
    assert _rows() == live
    assert _rows(draft) != live
    assert len(_rows(draft)) == len(live)
    assert ScoringProfile.objects.get(pk=draft.pk).frozen  # scored: now traceable, so frozen


@pytest.mark.django_db
def test_a_lost_account_is_scored_up_to_the_day_it_was_lost(alices_account):
    _history(alices_account)
    alices_account.status, alices_account.lost_on = "lost", datetime.date(2026, 3, 4)
    alices_account.lost_note = "Re-tendered"
    alices_account.save()
    scores_recompute(as_of=AS_OF)
    assert _latest(alices_account).week_ending == datetime.date(2026, 3, 8)


@pytest.mark.django_db
def test_the_latest_standing_of_the_portfolio_is_one_indexed_query(
    alices_account, bobs_account, django_assert_num_queries
):
    _history(alices_account)
    _history(bobs_account)
    scores_recompute(as_of=AS_OF)
    latest = ScoreSnapshot.objects.filter(profile_id=profile_active().pk, is_latest=True)
    with django_assert_num_queries(1):
        assert sorted(s.account_id for s in latest) == sorted([alices_account.pk, bobs_account.pk])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask what it *can* use
        # Either index of the current standings serves it: the unique one per account, or
        # the dashboard's (riskiest first, holding the columns it reads).
        plan = latest.explain()
        assert "one_latest_snapshot_per_account" in plan or "snapshot_latest_standing" in plan
    else:
        assert "USING INDEX" in latest.explain()


# Loading and rescoring one account -----------------------------------------------------------


@pytest.mark.django_db
def test_loading_an_account_for_scoring_takes_the_same_queries_however_much_it_holds(
    alices_account, bobs_account, django_assert_num_queries
):
    _history(alices_account, weeks=2)
    _history(bobs_account, weeks=30)
    for account, meetings in ((alices_account, 2), (bobs_account, 30)):
        with django_assert_num_queries(5):
            evidence = evidence_for_accounts(account_ids=[account.pk])[account.pk]
        assert len(evidence.interactions) == meetings
        assert all(len(i.contact_ids) == 1 for i in evidence.interactions)


@pytest.mark.django_db
def test_rescoring_an_account_takes_the_same_queries_however_much_it_holds(
    alices_account, bobs_account
):
    _history(alices_account, weeks=2)
    _history(bobs_account, weeks=30)
    counts = []
    for account in (alices_account, bobs_account):
        with CaptureQueriesContext(connection) as captured:
            weeks = account_rescore(account_id=account.pk, as_of=AS_OF)
        counts.append(len(captured))
        assert ScoreSnapshot.objects.filter(account=account).count() == weeks
    # 12, one that asks whether a webhook endpoint wants to hear of standing changes, and
    # the dashboard's line: is the version live, the line before, delete, read the standing
    # and its weeks before, insert, and the two tallies it counts in.
    assert counts[0] == counts[1] <= 21


@pytest.fixture
def scored(alices_account, bobs_account):
    _history(alices_account)
    _history(bobs_account)
    scores_recompute()
    return alices_account


@pytest.mark.django_db
def test_logging_a_signal_rescores_the_account_after_commit(
    scored, bobs_account, django_capture_on_commit_callbacks
):
    before, bobs = _latest(scored), _rows()
    bobs = [row for row in bobs if row[0] == bobs_account.pk]
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        for slug in ("invited_to_planning", "inner_circle_access", "treated_as_team_member"):
            signal = _signal(scored, slug, today)
    after = _latest(scored)
    assert after.score > before.score
    assert after.stage == "confidant"
    assert [row for row in _rows() if row[0] == bobs_account.pk] == bobs  # only Alice's account

    with django_capture_on_commit_callbacks(execute=True):
        signal.delete()
    assert _latest(scored).score < after.score


@pytest.mark.django_db
def test_logging_editing_and_deleting_a_meeting_rescores_the_account(
    scored, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = InteractionFactory(account=scored, occurred_on=today, kind="workshop")
    logged = _latest(scored)
    assert not any(key == "silence" for key, _, _ in logged.risk_drivers)
    assert ScoreSnapshot.objects.filter(account=scored).count() > 1

    with django_capture_on_commit_callbacks(execute=True):
        meeting.occurred_on = today - datetime.timedelta(days=120)
        meeting.save()
    moved = _latest(scored)
    assert moved.score < logged.score

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        meeting.delete()
    assert len(callbacks) >= 1
    assert _latest(scored).score <= moved.score


@pytest.mark.django_db
def test_a_new_assessment_rescores_the_account(scored, django_capture_on_commit_callbacks):
    assert not any(key == "relevance" for key, _, _ in _latest(scored).risk_drivers)
    with django_capture_on_commit_callbacks(execute=True):
        AssessmentFactory(account=scored, assessed_on=timezone.localdate(), relevance=1)
    drivers = {key: detail for key, _, detail in _latest(scored).risk_drivers}
    assert drivers["relevance"] == "business relevance 1 of 5, down 3"


@pytest.mark.django_db
def test_changing_who_took_part_rescores_the_account(scored, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    only = ContactFactory(account=scored)
    with django_capture_on_commit_callbacks(execute=True):
        for days in (60, 30, 1):
            meeting = InteractionFactory(
                account=scored, occurred_on=today - datetime.timedelta(days=days)
            )
            meeting.participants.add(only)
    drivers = {key: detail for key, _, detail in _latest(scored).risk_drivers}
    assert drivers["single_threaded"] == "only 1 contact engaged in 120 days"
    with django_capture_on_commit_callbacks(execute=True):
        meeting.participants.add(ContactFactory(account=scored), ContactFactory(account=scored))
    assert "single_threaded" not in {key for key, _, _ in _latest(scored).risk_drivers}


@pytest.mark.django_db
def test_one_commit_rescores_each_account_once(scored, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(services, "account_rescore", wraps=services.account_rescore) as rescore,
        django_capture_on_commit_callbacks(execute=True),
    ):
        meeting = InteractionFactory(account=scored, occurred_on=timezone.localdate())
        for slug in ("invited_to_planning", "strategy_advice_requested"):
            _signal(scored, slug, timezone.localdate())
        meeting.participants.add(ContactFactory(account=scored))
    rescore.assert_called_once_with(account_id=scored.pk)


@pytest.mark.django_db
def test_a_failed_rescore_does_not_undo_the_users_write_and_the_worker_retries_it(
    scored, django_capture_on_commit_callbacks
):
    from tests.conftest import work_the_queue

    before = _latest(scored)
    with (
        mock.patch.object(services, "account_rescore", side_effect=RuntimeError("boom")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        meeting = InteractionFactory(account=scored, occurred_on=timezone.localdate())
    assert meeting.__class__.objects.filter(pk=meeting.pk).exists()
    assert _latest(scored).pk == before.pk  # not rescored yet

    work_the_queue()

    after = _latest(scored)
    assert after.week_ending == week_ending(timezone.localdate())
    assert not any(key == "silence" for key, _, _ in after.risk_drivers)


@pytest.mark.django_db
def test_deleting_a_person_rescores_their_account(scored, django_capture_on_commit_callbacks):
    """In the admin: the person leaves every meeting they were in without a signal of its own."""
    today = timezone.localdate()
    people = [ContactFactory(account=scored) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for days in (60, 30, 1):
            meeting = InteractionFactory(
                account=scored, occurred_on=today - datetime.timedelta(days=days)
            )
            meeting.participants.add(*people)
    assert "single_threaded" not in {key for key, _, _ in _latest(scored).risk_drivers}

    with django_capture_on_commit_callbacks(execute=True):
        people[2].delete()

    drivers = {key: detail for key, _, detail in _latest(scored).risk_drivers}
    assert drivers["single_threaded"] == "only 2 contacts engaged in 120 days"


# The command ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_reports_what_it_scored(scored, capsys):
    call_command("recompute_scores", "--as-of", "2026-05-31")
    assert capsys.readouterr().out == "Scored 2 accounts under profile v1: 42 weekly snapshots.\n"
    call_command("recompute_scores", "--account", str(scored.pk), "--as-of", "2026-05-31")
    assert capsys.readouterr().out == "Scored 1 account under profile v1: 21 weekly snapshots.\n"


@pytest.mark.django_db
def test_the_command_can_leave_the_chunks_to_the_workers(scored, capsys, monkeypatch):
    from scoring.jobs import recompute
    from tests.conftest import work_the_queue

    monkeypatch.setattr(recompute, "CHUNK", 1)
    ScoreSnapshot.objects.all().delete()
    call_command("recompute_scores", "--queue", "--as-of", "2026-05-31")
    job = RecomputeJob.objects.get()
    assert capsys.readouterr().out == (
        f"Queued job {job.pk}: 2 accounts in 2 chunks for the workers.\n"
    )
    assert not ScoreSnapshot.objects.exists()  # nothing scored until a worker takes the chunks

    work_the_queue()

    job.refresh_from_db()
    assert (job.status, job.accounts_done, job.as_of.isoformat()) == ("done", 2, "2026-05-31")
    assert ScoreSnapshot.objects.filter(is_latest=True).count() == 2


@pytest.mark.django_db
def test_the_command_names_what_it_cannot_find(scored):
    with pytest.raises(CommandError, match=r"There is no profile version 9; versions: 1\."):
        call_command("recompute_scores", "--profile", "9")
    with pytest.raises(CommandError, match=r"No account with id 999999\."):
        call_command("recompute_scores", "--account", "999999")
