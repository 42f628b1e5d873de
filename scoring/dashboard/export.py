"""The portfolio as CSV for BI tools and scheduled reports (one line per account)."""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator

from django.db.models import Max, OuterRef, Subquery

from accounts.models import Account
from relationships.csv_bundle.formats import neutralise
from relationships.models import Interaction
from scoring.dashboard.panels import PortfolioRow
from scoring.engine import Stage
from scoring.models import ScoreSnapshot

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


def export_lines(
    rows: Iterable[PortfolioRow], contacts: dict[int, datetime.date]
) -> Iterator[list[str]]:
    """One CSV line per account; text cells are neutralised against spreadsheet formulas."""
    for row in rows:
        last = contacts.get(row.account_id)
        yield [
            neutralise(row.external_id or f"account-{row.account_id}"),
            neutralise(row.name),
            neutralise(row.owner_username),
            row.stage.value,
            f"{row.score:.0f}",
            f"{row.decline_risk:.0f}",
            row.top_driver_key,
            f"{row.revenue:.2f}".rstrip("0").rstrip("."),
            last.isoformat() if last else "",
            neutralise(row.next_step),
            row.next_step_due.isoformat() if row.next_step_due else "",
        ]


def portfolio_as_of(*, profile, as_of: datetime.date) -> list[PortfolioRow]:
    """Every account's standing in the last week on or before `as_of` (lost accounts: their
    last week), for the command-line export. Accounts without any standing by then are left
    out."""
    week_of = dict(
        Account.objects.annotate(
            week=Subquery(
                ScoreSnapshot.objects.filter(
                    profile=profile, account=OuterRef("pk"), week_ending__lte=as_of
                )
                .order_by("-week_ending")
                .values("week_ending")[:1]
            )
        )
        .filter(week__isnull=False)
        .values_list("pk", "week")
    )
    accounts_by_week: defaultdict[datetime.date, list[int]] = defaultdict(list)
    for account_id, week in week_of.items():
        accounts_by_week[week].append(account_id)
    engine_profile = profile.engine_profile()
    rows = []
    for week, account_ids in accounts_by_week.items():
        snapshots = ScoreSnapshot.objects.filter(
            profile=profile, week_ending=week, account_id__in=account_ids
        ).select_related("account__owner")
        for snapshot in snapshots:
            account = snapshot.account
            rows.append(
                PortfolioRow(
                    account_id=account.pk,
                    name=account.name,
                    owner_id=account.owner_id,
                    owner_name=account.owner.get_full_name() or account.owner.username,
                    industry=account.industry,
                    revenue=account.annual_revenue,
                    potential=account.partnership_potential,
                    status=account.status,
                    score=snapshot.score,
                    stage=Stage(snapshot.stage),
                    decline_risk=snapshot.decline_risk,
                    risk_band=engine_profile.risk_band(snapshot.decline_risk),
                    next_stage_gap=snapshot.next_stage_gap,
                    drivers_json=json.dumps(snapshot.risk_drivers),
                    top_driver_key=snapshot.risk_drivers[0][0] if snapshot.risk_drivers else "",
                    external_id=account.external_id,
                    owner_username=account.owner.username,
                    next_step=account.next_step,  # the plan as it stands today
                    next_step_due=account.next_step_due,
                )
            )
    return sorted(rows, key=lambda row: (row.name, row.account_id))
