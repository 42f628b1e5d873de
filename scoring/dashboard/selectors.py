"""Reads of the portfolio one row per account: precomputed snapshots only, never scoring at
request time. The exports, the API's portfolio and its pages read these; the dashboard reads
aggregates and short lists instead (scoring/dashboard/summary.py), with the same columns.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
)
from django.db.models.expressions import Combinable
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from accounts.models import Account
from scoring.dashboard.filters import DashboardFilters
from scoring.dashboard.panels import PortfolioRow
from scoring.engine import Profile, Stage
from scoring.models import ScoreSnapshot, ScoringProfile


def portfolio_standings(
    *,
    profile: ScoringProfile,
    filters: DashboardFilters | None = None,
    closed_by: datetime.date | None = None,
) -> list[PortfolioRow]:
    """Each account's standing under `profile`, with the account's facts, by name (one query).

    Without `closed_by`, today's standing: the account's latest snapshot (`is_latest`), the one
    the account page and the account list show. That is the week now running, scored up to its
    last rescore, or the last week of a lost account or of one the daily catch-up has not
    reached yet. With a past `closed_by`: the standing at the close of the last week that ended
    on or before it, which counts no evidence dated after it.

    `filters` narrow the rows to the dashboard's view (active accounts only); None gives every
    account with a standing, lost ones with their last.
    """
    engine_profile = profile.engine_profile()
    snapshots = _standing_snapshots(profile, closed_by)
    if filters is not None:
        snapshots = snapshots.filter(
            filters.account_q("account__"), filters.snapshot_q(engine_profile["risk_bands"])
        )
    rows = _portfolio_rows(_standing_columns(snapshots), engine_profile)
    return sorted(rows, key=lambda row: (row.name, row.account_id))


@dataclass(frozen=True)
class UnscoredAccount:
    """An active account with no standing yet under the profile (made today, no evidence, or
    not reached by a rescore): listed with its facts, its standing left blank."""

    account_id: int
    name: str
    owner_id: int
    owner_name: str
    owner_username: str
    industry: str
    revenue: Decimal
    potential: str
    status: str
    external_id: str
    next_step: str
    next_step_due: datetime.date | None


def portfolio_page(
    *,
    profile: ScoringProfile,
    filters: DashboardFilters,
    accounts: QuerySet[Account],
    offset: int,
    limit: int,
) -> tuple[int, list[PortfolioRow | UnscoredAccount]]:
    """One page of the active accounts among `accounts` (a query of the accounts the reader
    may see, from accounts.access) with the dashboard's filters, by name, and how many there
    are in all. Each is a dashboard row, or an `UnscoredAccount` while it has no standing; a
    stage or risk-band filter leaves those out. Two queries whatever the page or the
    portfolio: the count, and the page itself, sorted and cut by the database."""
    engine_profile = profile.engine_profile()
    listed = _with_standing(profile).filter(
        filters.account_q(),
        filters.snapshot_q(engine_profile["risk_bands"], prefix="standing__"),
        pk__in=accounts.values("pk"),
    )
    total = listed.count()
    columns = listed.order_by("name", "pk").values_list(
        *_columns(account="", snapshot="standing__")
    )
    page: list[PortfolioRow | UnscoredAccount] = []
    for row in columns[offset : offset + limit]:
        if row[SCORE_COLUMN] is None:
            page.append(_unscored(row))
        else:
            page.extend(_portfolio_rows([row], engine_profile))
    return total, page


def portfolio_unscored(
    *, profile: ScoringProfile, filters: DashboardFilters
) -> list[UnscoredAccount]:
    """The active accounts in the dashboard's view with no standing under `profile`, by name
    (one query): the exports list them with blank standing cells. None when the filters ask
    about the standing (a stage, a risk band)."""
    if filters.needs_standing:
        return []
    unscored = _with_standing(profile).filter(filters.account_q(), Q(standing__isnull=True))
    columns = unscored.order_by("name", "pk").values_list(
        *_columns(account="", snapshot="standing__")
    )
    return [_unscored(row) for row in columns]


def _with_standing(profile: ScoringProfile) -> QuerySet[Account]:
    """Accounts, each with a relation to its latest snapshot under `profile` (`standing`),
    joined only when a filter or a column names it: none for an account not scored yet."""
    return Account.objects.annotate(
        standing=FilteredRelation(
            "snapshots", condition=Q(snapshots__profile=profile, snapshots__is_latest=True)
        )
    )


def _standing_snapshots(
    profile: ScoringProfile, closed_by: datetime.date | None
) -> QuerySet[ScoreSnapshot]:
    """The snapshot that holds each account's standing: its latest (None), or the last of a
    week closed by `closed_by`."""
    if closed_by is None:
        return ScoreSnapshot.objects.filter(profile=profile, is_latest=True)
    last_closed = (
        ScoreSnapshot.objects.filter(
            profile=profile, account=OuterRef("pk"), week_ending__lte=closed_by
        )
        .order_by("-week_ending")
        .values("pk")[:1]
    )
    chosen = Account.objects.annotate(snapshot=Subquery(last_closed)).filter(snapshot__isnull=False)
    return ScoreSnapshot.objects.filter(pk__in=chosen.values("snapshot"))


SCORE_COLUMN = 10  # where the score sits in a row of `_columns`


def _columns(*, account: str, snapshot: str) -> list[str | Combinable]:
    """The columns of a dashboard row, read from snapshots (`account="account__"`) or from
    accounts with a relation to their standing (`snapshot="standing__"`). The top risk
    driver's key is read on its own, so that a row needs no JSON decoded to name it."""
    return [
        "account_id" if account else "id",
        f"{account}name",
        f"{account}owner_id",
        f"{account}owner__first_name",
        f"{account}owner__last_name",
        f"{account}owner__username",
        f"{account}industry",
        f"{account}annual_revenue",
        f"{account}partnership_potential",
        f"{account}status",
        f"{snapshot}score",
        f"{snapshot}stage",
        f"{snapshot}decline_risk",
        f"{snapshot}next_stage_gap",
        Cast(f"{snapshot}risk_drivers", TextField()),
        # Not KT("..."): it takes the first part of the path for the field, so
        # "standing__risk_drivers__0__0" would read keys of the relation itself.
        KeyTextTransform("0", KeyTextTransform("0", f"{snapshot}risk_drivers")),
        f"{snapshot}week_ending",
        f"{account}external_id",
        f"{account}next_step",
        f"{account}next_step_due",
    ]


def _standing_columns(snapshots: QuerySet[ScoreSnapshot]) -> QuerySet[ScoreSnapshot, tuple]:
    """The snapshots' standing with their account's facts, as plain tuples (one query, no
    model instances: the portfolio may hold thousands of accounts)."""
    return snapshots.order_by().values_list(*_columns(account="account__", snapshot=""))


def _unscored(row: tuple) -> UnscoredAccount:
    """An account with no standing, from a row of `_columns` whose standing is NULL."""
    (account_id, name, owner_id, first, last, username, industry, revenue, potential, status) = row[
        :SCORE_COLUMN
    ]
    external_id, next_step, next_step_due = row[-3:]
    return UnscoredAccount(
        account_id=account_id,
        name=name,
        owner_id=owner_id,
        owner_name=f"{first} {last}".strip() or username,
        owner_username=username,
        industry=industry,
        revenue=revenue,
        potential=potential,
        status=status,
        external_id=external_id,
        next_step=next_step,
        next_step_due=next_step_due,
    )


def _portfolio_rows(columns: Iterable[tuple], engine_profile: Profile) -> list[PortfolioRow]:
    """The dashboard's rows, one per tuple of `_standing_columns`."""
    stages = {stage.value: stage for stage in Stage}
    return [
        PortfolioRow(
            account_id=account_id,
            name=name,
            owner_id=owner_id,
            owner_name=f"{first} {last}".strip() or username,
            industry=industry,
            revenue=revenue,
            potential=potential,
            status=status,
            score=score,
            stage=stages[stage],
            decline_risk=risk,
            risk_band=engine_profile.risk_band(risk),
            next_stage_gap=gap.replace("_", " "),
            drivers_json=drivers or "[]",
            top_driver_key=top_driver or "",
            external_id=external_id,
            owner_username=username,
            next_step=next_step,
            next_step_due=next_step_due,
            week_ending=week,
        )
        for (
            account_id,
            name,
            owner_id,
            first,
            last,
            username,
            industry,
            revenue,
            potential,
            status,
            score,
            stage,
            risk,
            gap,
            drivers,
            top_driver,
            week,
            external_id,
            next_step,
            next_step_due,
        ) in columns
    ]
