"""The portfolio as CSV for BI tools and scheduled reports (one line per account)."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Iterator

from django.db.models import Max

from relationships.csv_bundle.formats import neutralise
from relationships.models import Interaction
from scoring.dashboard.panels import PortfolioRow
from scoring.dashboard.selectors import UnscoredAccount, portfolio_standings
from scoring.models import ScoringProfile

EXPORT_COLUMNS = (
    "external_id",
    "name",
    "owner",
    "stage",
    "score",
    "decline_risk",
    "top_risk_driver",
    "annual_revenue",
    "last_contact_on",
    "next_step",
    "next_step_due",
)


def last_contacts(
    *, account_ids: Collection[int] | None, as_of: datetime.date
) -> dict[int, datetime.date]:
    """The last interaction on or before `as_of` per account (None: every account)."""
    interactions = Interaction.objects.filter(occurred_on__lte=as_of)
    if account_ids is not None:
        interactions = interactions.filter(account_id__in=list(account_ids))
    return dict(
        interactions.order_by()
        .values("account_id")
        .annotate(last=Max("occurred_on"))
        .values_list("account_id", "last")
    )


def with_unscored(
    rows: Iterable[PortfolioRow], unscored: Iterable[UnscoredAccount]
) -> list[PortfolioRow | UnscoredAccount]:
    """The export's accounts: those with a standing and those without one yet, by name."""
    return sorted([*rows, *unscored], key=lambda row: (row.name, row.account_id))


def export_lines(
    rows: Iterable[PortfolioRow | UnscoredAccount], contacts: dict[int, datetime.date]
) -> Iterator[list[str]]:
    """One CSV line per account; text cells are neutralised against spreadsheet formulas.
    An account not scored yet has its stage, score, risk and risk driver cells empty."""
    for row in rows:
        last = contacts.get(row.account_id)
        standing = ["", "", "", ""]
        if isinstance(row, PortfolioRow):
            standing = [
                row.stage.value,
                f"{row.score:.0f}",
                f"{row.decline_risk:.0f}",
                row.top_driver_key,
            ]
        yield [
            neutralise(row.external_id or f"account-{row.account_id}"),
            neutralise(row.name),
            neutralise(row.owner_username),
            *standing,
            f"{row.revenue:.2f}".rstrip("0").rstrip("."),
            last.isoformat() if last else "",
            neutralise(row.next_step),
            row.next_step_due.isoformat() if row.next_step_due else "",
        ]


def portfolio_as_of(
    *, profile: ScoringProfile, as_of: datetime.date, today: datetime.date
) -> list[PortfolioRow]:
    """Every account's standing for the command-line export, lost accounts with their last.

    On or after `today`: today's standing, read as the dashboard and the account page read it.
    A past date: the standing at the close of the last week that ended on or before it (weeks
    close on Sundays), so evidence dated after it never counts. Accounts without any standing
    by then are left out.
    """
    return portfolio_standings(profile=profile, closed_by=None if as_of >= today else as_of)
