"""The dashboard's lines (`StandingLine`): each active account's current standing under the
live version, beside its facts and its weeks 4 and 13 before, kept in the transaction of every
write that changes one of them, with the tallies that count them (scoring/tallies.py).

Who calls what:
- a rescore or a recompute under the live version refreshes the accounts it wrote
  (scoring/services.py);
- saving an account refreshes it (scoring/receivers.py), and the CSV import refreshes the
  accounts it edits in bulk (scoring/use_cases.py); deleting one takes its line and its
  count away (`lines_forget`, scoring/receivers.py);
- making a version live replaces every line (`lines_rebuild`), holding every account;
- the daily catch-up, and a recompute of the whole portfolio (`manage.py recompute_scores`,
  with or without `--queue`; each chunk has refreshed its accounts), end by setting the
  tallies to what the lines give (`lines_settle`).

A line is derived data: `lines_rebuild` builds every line and tally again from the snapshots
and the accounts.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Iterator, Sequence

from django.db import connection, transaction
from django.db.models import Sum, TextField
from django.db.models.functions import Cast

from accounts.models import Account, AccountStatus
from config.bulk import id_chunks, insert_rows
from scoring.models import (
    ScoreSnapshot,
    ScoringProfile,
    StandingLine,
    StandingTally,
    StandingTallyChange,
)
from scoring.tallies import (
    TALLIED_COLUMNS,
    TallyChange,
    map_square,
    revenue_at_risk,
    tallies_rebase,
)

# The weeks a line looks back: the dashboard's "30 days" and "90 days".
BACK_30 = datetime.timedelta(weeks=4)
BACK_90 = datetime.timedelta(weeks=13)
# Accounts per round of reads and inserts in a rebuild: bounded memory, few round trips.
REBUILD_CHUNK = 2000

_COLUMNS = (
    "pk",
    "account_id",
    "account__name",
    "account__owner_id",
    "account__industry",
    "account__partnership_potential",
    "account__annual_revenue",
    "account__next_step",
    "account__next_step_due",
    "week_ending",
    "score",
    "stage",
    "decline_risk",
)


def lines_refresh(*, account_ids: Collection[int]) -> None:
    """Replace the lines of `account_ids` under the live version from what the database
    holds now, and record what that changes in the tallies. An account that is not active,
    or has no standing under the live version, is left without one. The caller holds the
    accounts' locks (a rescore, an edit), and whichever version is live when this runs is
    the one: a version that went live meanwhile held every account while it replaced every
    line."""
    live = ScoringProfile.objects.filter(is_active=True).first()
    if live is None:
        return
    change = TallyChange()
    # Beside the ids: the profile, the flag and the status; then the weeks 4 and 13 back.
    for part in id_chunks(list(account_ids), spare=64):
        change.remove(_delete_returning(part))
        change.add(_insert(_lines(live, part)))
    change.record()


def lines_forget(*, account_id: int) -> None:
    """Take an account about to be deleted off the dashboard: its line, and its count in the
    tallies (the line would go with the account, but the tallies would still count it). The
    account is locked first, so a save of it still open commits its line before this takes
    it away."""
    Account.objects.select_for_update(no_key=True).filter(pk=account_id).exists()
    change = TallyChange()
    change.remove(_delete_returning([account_id]))
    change.record()


def _delete_returning(account_ids: Sequence[int]) -> list[tuple]:
    """Delete the lines of `account_ids`, returning the columns the tallies count of each
    line this statement deleted (not of one a concurrent write deleted first)."""
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(account_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(StandingLine._meta.db_table)} WHERE account_id IN ({marks}) "
            f"RETURNING {', '.join(quote(column) for column in TALLIED_COLUMNS)}",
            list(account_ids),
        )
        return cursor.fetchall()


def lines_rebuild(*, profile: ScoringProfile) -> int:
    """Replace every line with one per active account standing under `profile` (made live),
    and set the tallies to count them; returns how many lines there are. Nothing changes if
    `profile` is not the live version."""
    if not _is_live(profile):
        return 0
    with transaction.atomic():
        return _rebuild(profile)


def accounts_lock() -> list[tuple[int, str]]:
    """Lock every account, in the order every write locks them, and return each one's id and
    status: a write running meanwhile finishes before this goes on, and one starting after
    waits until this commits (then finds the version this made live)."""
    return list(
        Account.objects.select_for_update(no_key=True).order_by("pk").values_list("pk", "status")
    )


def _rebuild(profile: ScoringProfile) -> int:
    ids = [pk for pk, status in accounts_lock() if status == AccountStatus.ACTIVE]
    StandingLine.objects.all().delete()
    built = 0
    for start in range(0, len(ids), REBUILD_CHUNK):
        built += len(_insert(_lines(profile, ids[start : start + REBUILD_CHUNK])))
    tallies_rebase(profile)
    return built


def lines_settle() -> None:
    """Set the live version's tallies to what its lines give (the daily catch-up ends with
    it), so that a count gone astray by whatever the writes do not foresee (a row changed by
    hand in the database) lasts a day at most."""
    live = ScoringProfile.objects.filter(is_active=True).first()
    if live is not None:
        with transaction.atomic():
            tallies_rebase(live)


def lines_missing_build() -> int:
    """After migrating: build every line and tally again unless they match the standings
    (as many lines as active accounts standing under the live version, each repeating a
    latest snapshot that exists, and tallies with their changes counting every line). A
    database from before them, or a migration that cleared the snapshots, gets them rebuilt;
    a migration that changes the live version's parameters in place must call
    `lines_rebuild` itself. Returns how many lines were built."""
    tables = connection.introspection.table_names()
    if any(model._meta.db_table not in tables for model in (StandingLine, StandingTallyChange)):
        return 0  # migrated back to before them
    live = ScoringProfile.objects.filter(is_active=True).first()
    if live is None:
        return 0
    standing = ScoreSnapshot.objects.filter(
        profile=live, is_latest=True, account__status=AccountStatus.ACTIVE
    )
    lines = StandingLine.objects.filter(profile=live)
    counted = sum(
        model.objects.filter(profile=live).aggregate(n=Sum("accounts"))["n"] or 0
        for model in (StandingTally, StandingTallyChange)
    )
    true = (
        lines.count() == StandingLine.objects.count() == standing.count() == counted
        and not lines.exclude(snapshot_id__in=standing.values("pk")).exists()
    )
    if true:
        return 0
    return lines_rebuild(profile=live)


# Every column of a line but its id, by attribute (the relations' ids).
_LINE_COLUMNS = [
    field.attname for field in StandingLine._meta.concrete_fields if not field.primary_key
]


def _insert(lines: Iterable[StandingLine]) -> list[StandingLine]:
    """Insert `lines` (COPY on PostgreSQL, a fraction of an insert's cost at thousands of
    rows); returns them."""
    lines = list(lines)
    if not lines:
        return lines
    insert_rows(
        StandingLine,
        _LINE_COLUMNS,
        (tuple(getattr(line, column) for column in _LINE_COLUMNS) for line in lines),
    )
    return lines


def _is_live(profile: ScoringProfile) -> bool:
    return ScoringProfile.objects.filter(pk=profile.pk, is_active=True).exists()


def _lines(profile: ScoringProfile, account_ids: Sequence[int]) -> Iterator[StandingLine]:
    """The lines of `account_ids` (a statement's worth), from two reads: their latest
    snapshots with their accounts' facts, and their weeks 4 and 13 before those."""
    latest = list(
        ScoreSnapshot.objects.filter(
            profile=profile,
            is_latest=True,
            account_id__in=account_ids,
            account__status=AccountStatus.ACTIVE,
        )
        .order_by()
        .values_list(*_COLUMNS, Cast("risk_drivers", TextField()))
    )
    past = _weeks_before(profile, {row[1]: row[9] for row in latest})
    engine_profile = profile.engine_profile()
    for (
        snapshot_id,
        account_id,
        name,
        owner_id,
        industry,
        potential,
        revenue,
        next_step,
        next_step_due,
        week,
        score,
        stage,
        risk,
        drivers,
    ) in latest:
        score_bin, risk_bin = map_square(score, risk)
        yield StandingLine(
            profile=profile,
            account_id=account_id,
            snapshot_id=snapshot_id,
            name=name,
            owner_id=owner_id,
            industry=industry,
            potential=potential,
            revenue=revenue,
            no_step=not next_step,
            next_step_due=next_step_due,
            week_ending=week,
            score=score,
            stage=stage,
            decline_risk=risk,
            risk_band=engine_profile.risk_band(risk),
            score_bin=score_bin,
            risk_bin=risk_bin,
            revenue_at_risk=revenue_at_risk(revenue, risk),
            # As the dashboard's rows read the drivers (PortfolioRow.has_driver).
            silence='"silence"' in drivers,
            perception_gap='"perception_gap"' in drivers,
            **_weeks_back(past, account_id, week, score),
        )


def _weeks_back(past: dict, account_id: int, week: datetime.date, score: float) -> dict:
    """A line's fields of its weeks 4 and 13 before `week` (from `_weeks_before`)."""
    score_4w, stage_4w, _ = past.get((account_id, week - BACK_30), (None, "", None))
    score_13w, stage_13w, risk_13w = past.get((account_id, week - BACK_90), (None, "", None))
    return {
        "score_4w": score_4w,
        "stage_4w": stage_4w,
        "change_4w": None if score_4w is None else score - score_4w,
        "score_13w": score_13w,
        "stage_13w": stage_13w,
        "change_13w": None if score_13w is None else score - score_13w,
        "decline_risk_13w": risk_13w,
    }


def _weeks_before(
    profile: ScoringProfile, latest_weeks: dict[int, datetime.date]
) -> dict[tuple[int, datetime.date], tuple[float, str, float]]:
    """(account, week) -> (score, stage, decline risk) for each account's weeks 4 and 13
    before its latest week (`latest_weeks`), where it has them."""
    if not latest_weeks:
        return {}
    wanted = {week - back for week in latest_weeks.values() for back in (BACK_30, BACK_90)}
    rows = (
        ScoreSnapshot.objects.filter(
            profile=profile, account_id__in=list(latest_weeks), week_ending__in=wanted
        )
        .order_by()
        .values_list("account_id", "week_ending", "score", "stage", "decline_risk")
    )
    return {(account, week): (score, stage, risk) for account, week, score, stage, risk in rows}
