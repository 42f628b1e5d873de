"""The recompute command on PostgreSQL: forked lanes share the chunks, each with its own
connection, and give exactly the rows one transaction gives; a chunk failing in a lane, a
lane killed or a version that cannot score stops the run with its reason, without
half-writing any account and without hanging."""

import contextlib
import datetime
import os
import signal
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from scoring import services
from scoring.engine import DEFAULTS, ProfileError
from scoring.jobs import recompute
from scoring.models import ScoreSnapshot, ScoringProfile, StandingLine
from scoring.selectors import profile_active
from scoring.services import profile_create, scores_recompute
from tests.factories import AccountFactory
from tests.scoring.test_services import _history, _rows

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the lanes read what this test committed
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="lanes need PostgreSQL's concurrent writers"
    ),
]

AS_OF = datetime.date(2026, 5, 31)


@pytest.fixture
def portfolio(alice, monkeypatch):
    monkeypatch.setattr(recompute, "CHUNK", 2)
    accounts = [AccountFactory(owner=alice) for _ in range(5)]
    for weeks, account in enumerate(accounts, start=8):
        _history(account, weeks=weeks)
    return accounts


def _in_pids(monkeypatch, log):
    """Each chunk's process id, written to `log` by whichever process scores it."""
    scoring = recompute.scores_recompute

    def logged(**kwargs):
        with open(log, "a") as file:
            file.write(f"{os.getpid()}\n")
        return scoring(**kwargs)

    monkeypatch.setattr(recompute, "scores_recompute", logged)


def test_the_command_shares_the_chunks_between_lanes_and_writes_what_one_run_writes(
    portfolio, monkeypatch, settings, tmp_path, capsys
):
    scores_recompute(as_of=AS_OF)  # the whole portfolio in one transaction
    expected = [row[1:] for row in _rows()]
    ScoreSnapshot.objects.all().delete()
    settings.SCORING_PROCESSES = 2
    _in_pids(monkeypatch, tmp_path / "pids")

    call_command("recompute_scores", "--as-of", AS_OF.isoformat())

    assert [row[1:] for row in _rows()] == expected
    assert capsys.readouterr().out == (
        f"Scored 5 accounts under profile v1: {len(expected)} weekly snapshots.\n"
    )
    pids = (tmp_path / "pids").read_text().split()
    assert len(pids) == 3  # chunks of 2, 2 and 1
    assert str(os.getpid()) not in pids and len(set(pids)) <= 2
    # The dashboard's lines follow, one per account.
    assert StandingLine.objects.count() == 5


def _by_account(rows):
    accounts: dict[int, list] = {}
    for row in rows:
        accounts.setdefault(row[0], []).append(row[1:])
    return accounts


@pytest.fixture
def before_and_after(portfolio):
    """Each account's weeks rescored as of AS_OF, and as stored (four weeks earlier)."""
    scores_recompute(as_of=AS_OF)
    rescored = _by_account(_rows())
    scores_recompute(as_of=AS_OF - datetime.timedelta(weeks=4))
    return _by_account(_rows()), rescored


def _each_as_it_was_or_rescored(portfolio, before, rescored, *, untouched):
    """No account half-written: each has its weeks as they were or as rescored, and the
    account of the chunk that stopped has them as they were."""
    after = _by_account(_rows())
    assert after[untouched] == before[untouched]
    for account in portfolio:
        assert after[account.pk] in (before[account.pk], rescored[account.pk])


@contextlib.contextmanager
def _within(seconds):
    """Fails the test rather than hang it."""

    def hung(signum, frame):
        raise AssertionError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_chunk_failing_in_a_lane_stops_the_run_and_leaves_no_account_half_written(
    portfolio, before_and_after, monkeypatch
):
    before, rescored = before_and_after
    failing = portfolio[2].pk
    write = services.snapshots_write

    def failing_after_writing(**kwargs):
        rows = write(**kwargs)  # its snapshots written, in the chunk's transaction
        if failing in kwargs["evidence"]:
            raise RuntimeError("the database went away")
        return rows

    monkeypatch.setattr(services, "snapshots_write", failing_after_writing)
    with _within(60), pytest.raises(RuntimeError, match="the database went away"):
        recompute.recompute_in_process(profile=profile_active(), as_of=AS_OF, lanes=2)

    _each_as_it_was_or_rescored(portfolio, before, rescored, untouched=failing)


def test_a_lane_killed_in_the_middle_of_a_chunk_ends_the_command_with_a_clear_error(
    portfolio, before_and_after, monkeypatch
):
    before, rescored = before_and_after
    killed = portfolio[2].pk
    scoring = recompute.scores_recompute

    def killed_on_one(**kwargs):
        if killed in kwargs["account_ids"]:
            os.kill(os.getpid(), signal.SIGKILL)  # out of memory, say
        return scoring(**kwargs)

    monkeypatch.setattr(recompute, "scores_recompute", killed_on_one)
    with _within(60), pytest.raises(CommandError, match="in the middle of a chunk") as error:
        call_command("recompute_scores", "--as-of", AS_OF.isoformat())

    assert "run the recompute again" in str(error.value)
    _each_as_it_was_or_rescored(portfolio, before, rescored, untouched=killed)
    monkeypatch.setattr(recompute, "scores_recompute", scoring)
    call_command("recompute_scores", "--as-of", AS_OF.isoformat())  # which finishes it
    assert _by_account(_rows()) == rescored


def test_a_draft_version_is_recomputed_in_lanes_and_one_that_cannot_score_says_why(
    portfolio, alice, settings
):
    settings.SCORING_PROCESSES = 2
    draft = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)
    call_command("recompute_scores", "--profile", str(draft.version), "--as-of", "2026-05-31")
    draft.refresh_from_db()
    assert draft.frozen  # scored under it: its weights can no longer change
    assert len({row[0] for row in _rows(draft)}) == 5

    broken = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)
    ScoringProfile.objects.filter(pk=broken.pk).update(params={**DEFAULTS, "score_scale": -1})
    broken.refresh_from_db()
    with _within(60), pytest.raises(ProfileError, match="score_scale"):
        recompute.recompute_in_process(profile=broken, as_of=AS_OF, lanes=2)
    assert not ScoreSnapshot.objects.filter(profile=broken).exists()


def test_after_a_failed_chunk_no_other_starts_and_a_draft_left_unscored_stays_editable(
    portfolio, alice, monkeypatch, tmp_path
):
    draft = profile_create(params={**DEFAULTS, "score_scale": 40}, created_by=alice)
    first, started = portfolio[0].pk, tmp_path / "started"

    def refused(**kwargs):
        with open(started, "a") as file:
            file.write(f"{kwargs['account_ids']}\n")
        if first not in kwargs["account_ids"]:
            time.sleep(1)  # the other lane is still at work when the first failure arrives
        raise ProfileError({"score_scale": "refused in the middle of the run"})

    monkeypatch.setattr(recompute, "scores_recompute", refused)
    with _within(60), pytest.raises(ProfileError) as error:
        recompute.recompute_in_process(profile=draft, as_of=AS_OF, lanes=2)

    # The error reaches this process whole, with the field it names.
    assert error.value.errors == {"score_scale": "refused in the middle of the run"}
    assert len(started.read_text().splitlines()) == 2  # the failed chunk and the one beside it
    draft.refresh_from_db()
    assert not draft.frozen  # nothing was scored under it: its weights may still change


def test_scoring_processes_of_one_keeps_the_command_in_this_process(
    portfolio, monkeypatch, settings, tmp_path
):
    settings.SCORING_PROCESSES = 1
    _in_pids(monkeypatch, tmp_path / "pids")
    call_command("recompute_scores", "--as-of", AS_OF.isoformat(), verbosity=0)
    assert set((tmp_path / "pids").read_text().split()) == {str(os.getpid())}
    assert len({row[0] for row in _rows()}) == 5
