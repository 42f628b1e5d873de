"""The backtest job: every account's history under a version (and, for the tuning page,
under the live one too), compared with what happened (scoring/backtest.py). A draft's weeks
are scored; the live version's are read from its snapshots (`stored_weeks`).

The tuning page queues a run for the worker, which reports its progress as it goes;
`manage.py backtest_scores` runs one in the foreground.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accounts.models import Account, AccountStatus
from config.db_router import replica_reads
from scoring.backtest import Backtest, Record, Weeks, account_record
from scoring.engine import Evidence, Profile, score_timeline
from scoring.engine.batch import build, columns_from_evidence, standings
from scoring.models import BacktestRun, ScoreSnapshot, ScoringProfile
from scoring.portfolio import cores, forks_pay, worker_pool
from scoring.preview import DayNumber, driver_columns
from scoring.selectors import evidence_for_accounts

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# Accounts whose evidence is read and scored at a time, and between two progress reports:
# the memory of a run holds one chunk's evidence, not the portfolio's.
CHUNK = 1000
PIECE = 50  # accounts per unit of work handed to a scoring process


def backtest_reports(
    profiles: Mapping[str, ScoringProfile],
    *,
    as_of: datetime.date,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> dict[str, dict]:
    """{key: Backtest.report()} for each profile, scoring every account's history once per
    distinct version (a version backtested against itself, the live one, is scored once).
    `progress(done, total)` is called after each chunk of accounts. On PostgreSQL each chunk
    is scored on every core (`workers` caps the processes)."""
    versions = {version.pk: version for version in profiles.values()}
    engines = {pk: version.engine_profile() for pk, version in versions.items()}
    tests = {
        pk: Backtest(high=engine["risk_bands"]["high"], as_of=as_of)
        for pk, engine in engines.items()
    }
    # The history is read from the read replica when there is one; the progress reports
    # are writes, to the primary.
    with replica_reads():
        facts = {
            pk: (name, external_id)
            for pk, name, external_id in Account.objects.values_list("pk", "name", "external_id")
        }
        # An account archived without a loss (a duplicate, a client let go unrecorded) has no
        # outcome to judge a warning by: neither lost on a known day nor still kept.
        no_outcome = set(
            Account.objects.filter(status=AccountStatus.ARCHIVED, lost_on__isnull=True).values_list(
                "pk", flat=True
            )
        )
    ids = sorted(pk for pk in facts if pk not in no_outcome)
    if progress is not None:
        progress(0, len(ids))  # the total the page shows from the start
    # The live version's weeks are stored: they are read, not scored again.
    live = next((pk for pk, version in versions.items() if version.is_active), None)

    done = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with replica_reads():
            # A version that stopped being live during the run is no longer kept current.
            if live is not None and not ScoringProfile.objects.filter(pk=live, is_active=True):
                live = None
            evidence = evidence_for_accounts(account_ids=chunk)
            stored = {live: snapshot_weeks(live, chunk)} if live is not None else {}
        for records in _scored(evidence, engines, stored, facts, as_of, workers):
            for pk, record in records.items():
                tests[pk].add_record(record)
        done += len(chunk)
        if progress is not None:
            progress(done, len(ids))
    reports = {pk: test.report(profile=versions[pk].version) for pk, test in tests.items()}
    return {key: reports[version.pk] for key, version in profiles.items()}


# What the scoring processes read: set just before they start, cleared when they end (they are
# forked, so they inherit it without copying; scoring/portfolio.py does the same).
_job: tuple | None = None


def snapshot_weeks(profile_id: int, account_ids: list[int]) -> dict[int, Weeks]:
    """The weeks stored for `profile_id` of these accounts, by account id, as they are: one
    query, days read as ordinals (plain integers are much cheaper to read than dates)."""
    rows = (
        ScoreSnapshot.objects.filter(profile_id=profile_id, account_id__in=account_ids)
        .order_by("account_id", "week_ending")
        .values_list("account_id", DayNumber("week_ending"), "decline_risk")
    )
    columns = driver_columns(rows)
    if not columns[0]:
        return {}
    accounts = np.array(columns[0], dtype=np.int64)
    days = np.array(columns[1], dtype=np.int64)
    risks = np.array(columns[2], dtype=float)
    starts = np.flatnonzero(np.r_[True, accounts[1:] != accounts[:-1]])
    ends = [*starts[1:], len(accounts)]
    return {
        int(accounts[start]): Weeks(days[start:end], risks[start:end])
        for start, end in zip(starts, ends, strict=True)
    }


def stored_weeks(
    snapshots: Mapping[int, Weeks],
    evidence: Mapping[int, Evidence],
    engine: Profile,
    *,
    as_of: datetime.date,
) -> dict[int, Weeks]:
    """Of the accounts of `evidence`, the weeks their `snapshots` (the live version's, by
    account id) hold, as scoring them again would give them.

    Every change of evidence rescores the live version's weeks of its account as it commits
    (and a version is live only once its whole history is computed), so the stored weeks are
    what scoring gives, save two things checked here. The week in progress was evaluated
    on the day of the last rescore, not on `as_of`: its risk is taken from the batch engine,
    all the accounts at once, as of `as_of`. And an account may be behind (the daily catch-up
    has not reached it) or have been lost since: one whose stored weeks are not exactly the
    weeks its evidence spans is left out, to be scored."""
    batch = build(columns_from_evidence(evidence), as_of=as_of)
    today = standings(batch, engine, drivers=False)
    firsts = (batch.base + 7 * batch.first_week).tolist()
    lasts = (batch.base + 7 * batch.last_week).tolist()
    result = {}
    for account_id, first, last in zip(batch.account_ids.tolist(), firsts, lasts, strict=True):
        weeks = snapshots.get(account_id)
        if weeks is None or len(weeks.week_ending) != (last - first) // 7 + 1:
            continue  # not scored yet, or a week is missing
        if (weeks.week_ending[0], weeks.week_ending[-1]) != (first, last):
            continue
        risk = weeks.risk.copy()
        risk[-1] = today[account_id].decline_risk
        result[account_id] = Weeks(weeks.week_ending, risk)
    return result


def _scored(evidence, engines, stored, facts, as_of, workers) -> Iterator[dict[int, Record]]:
    """For each account of `evidence`, {version pk: its backtest record}. A version with
    weeks in `stored` ({version pk: {account id: Weeks}}, its snapshots) has them read
    (`stored_weeks`) rather than scored, where they are current."""
    global _job
    account_ids = list(evidence)
    pieces = [account_ids[i : i + PIECE] for i in range(0, len(account_ids), PIECE)]
    workers = workers or settings.SCORING_PROCESSES or cores()
    _job = (evidence, engines, stored, facts, as_of)
    try:
        if forks_pay(len(account_ids), workers):
            with worker_pool(workers) as pool:
                for piece in pool.imap(_score_piece, pieces):
                    yield from piece
        else:
            for piece in pieces:
                yield from _score_piece(piece)
    finally:
        _job = None


def _score_piece(account_ids: list[int]) -> list[dict[int, Record]]:
    assert _job is not None
    evidence, engines, stored, facts, as_of = _job
    piece = {account_id: evidence[account_id] for account_id in account_ids}
    read = {
        pk: stored_weeks(snapshots, piece, engines[pk], as_of=as_of)
        for pk, snapshots in stored.items()
    }
    scored = []
    for account_id, account_evidence in piece.items():
        name, external_id = facts.get(account_id, ("", ""))
        contacts = [interaction.occurred_on for interaction in account_evidence.interactions]
        scored.append(
            {
                pk: account_record(
                    as_of=as_of,
                    account_id=account_id,
                    external_id=external_id or f"account-{account_id}",
                    name=name,
                    lost_on=account_evidence.lost_on,
                    timeline=read.get(pk, {}).get(account_id)
                    or score_timeline(account_evidence, engine, as_of=as_of, explain=False),
                    contacts=contacts,
                )
                for pk, engine in engines.items()
            }
        )
    return scored


def backtest_start(*, profile: ScoringProfile, actor: User | None = None) -> BacktestRun:
    """Queue a backtest of `profile` against the active version."""
    with transaction.atomic():
        run = BacktestRun.objects.create(
            profile=profile,
            baseline=ScoringProfile.objects.get(is_active=True),
            requested_by=actor,
            accounts_total=Account.objects.count(),
        )
        transaction.on_commit(lambda: backtest_run.enqueue(run.pk))
    return run


def backtest_execute(run_id: int, *, as_of: datetime.date | None = None) -> BacktestRun:
    """The worker's part: score every account's history under both versions, saying how far
    it has got, and keep both reports."""
    run = BacktestRun.objects.select_related("profile", "baseline").get(pk=run_id)
    as_of = as_of or timezone.localdate()

    def progress(done: int, total: int) -> None:
        BacktestRun.objects.filter(pk=run.pk).update(accounts_done=done, accounts_total=total)

    try:
        BacktestRun.objects.filter(pk=run.pk).update(status=BacktestRun.Status.RUNNING)
        versions = {"profile": run.profile, "baseline": run.baseline or run.profile}
        result = backtest_reports(versions, as_of=as_of, progress=progress)
        BacktestRun.objects.filter(pk=run.pk).update(
            status=BacktestRun.Status.DONE, finished_at=timezone.now(), result=result
        )
    except Exception as error:
        logger.exception("Backtesting scoring profile v%s failed", run.profile.version)
        BacktestRun.objects.filter(pk=run.pk).update(
            status=BacktestRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}",
        )
        raise
    run.refresh_from_db()
    return run


@task()
def backtest_run(run_id: int) -> None:
    """The worker's task: backtest a scoring profile version against the accounts lost."""
    backtest_execute(run_id)
