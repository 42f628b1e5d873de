"""The recompute command on PostgreSQL: forked lanes share the chunks, each with its own
connection, and give exactly the rows one transaction gives; a chunk failing in a lane stops
the run without half-writing any account."""

import datetime
import os

import pytest
from django.core.management import call_command
from django.db import connection

from scoring.jobs import recompute
from scoring.models import ScoreSnapshot, StandingLine
from scoring.selectors import profile_active
from scoring.services import scores_recompute
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


def test_a_chunk_failing_in_a_lane_stops_the_run_and_leaves_no_account_half_written(
    portfolio, monkeypatch
):
    scores_recompute(as_of=AS_OF)
    rescored = _by_account(_rows())
    scores_recompute(as_of=AS_OF - datetime.timedelta(weeks=4))
    before = _by_account(_rows())
    scoring, failing = recompute.scores_recompute, portfolio[2].pk

    def failing_on_one(**kwargs):
        if failing in kwargs["account_ids"]:
            raise RuntimeError("the database went away")
        return scoring(**kwargs)

    monkeypatch.setattr(recompute, "scores_recompute", failing_on_one)
    with pytest.raises(RuntimeError, match="the database went away"):
        recompute.recompute_in_process(profile=profile_active(), as_of=AS_OF, lanes=2)

    after = _by_account(_rows())
    assert after[failing] == before[failing]
    for account in portfolio:  # as it was, or fully rescored
        assert after[account.pk] in (before[account.pk], rescored[account.pk])
