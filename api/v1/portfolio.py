"""The signal catalog, and the portfolio export: the dashboard's CSV rows, as JSON."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from ninja import Query, Router

from accounts.roles import SALES_LEAD, SCORING_ADMIN, require_role
from api.auth import ApiRequest, caller
from api.v1.accounts import dashboard_filters
from api.v1.schemas import AccountFilters, ExportRow, SignalTypeOut, refusals
from relationships.models import SignalType
from scoring.dashboard.export import last_contacts, with_unscored
from scoring.dashboard.panels import PortfolioRow
from scoring.dashboard.selectors import UnscoredAccount, portfolio_standings, portfolio_unscored
from scoring.selectors import profile_active

router = Router(tags=["portfolio"])


@router.get(
    "/signals", response={200: list[SignalTypeOut], **refusals()}, summary="The signal catalog"
)
def signal_catalog(request: ApiRequest) -> list[Any]:
    """Every trust-signal type, by category then name; interactions name them by slug.
    Retired types (`is_active` false) stay in history but are not logged anew."""
    return list(SignalType.objects.order_by("category", "name", "pk"))


@router.get(
    "/portfolio/export",
    response={200: list[ExportRow], **refusals(403, 422)},
    summary="The portfolio export",
)
def portfolio_export(request: ApiRequest, filters: Query[AccountFilters]) -> list[dict]:
    """The rows of the dashboard's CSV export (sales leads and scoring admins, as the
    dashboard), with the dashboard's filters: one per active account, by name. An account
    not scored yet has its stage, score, risk and risk driver null (unless a stage or risk
    band is chosen, which leaves it out)."""
    user = caller(request)
    require_role(
        user, SALES_LEAD, SCORING_ADMIN, message="The portfolio export is for sales leads."
    )
    # The dashboard's own rows: its readers see the whole portfolio.
    profile, chosen = profile_active(), dashboard_filters(filters)
    rows = with_unscored(
        portfolio_standings(profile=profile, filters=chosen),
        portfolio_unscored(profile=profile, filters=chosen),
    )
    today = timezone.localdate()
    contacts = last_contacts(account_ids=[row.account_id for row in rows], as_of=today)
    return [_export_row(row, contacts) for row in rows]


def _export_row(
    row: PortfolioRow | UnscoredAccount, contacts: dict[int, datetime.date]
) -> dict[str, Any]:
    standing: dict[str, Any] = dict.fromkeys(("stage", "score", "decline_risk", "top_risk_driver"))
    if isinstance(row, PortfolioRow):
        standing = {
            "stage": row.stage.value,
            "score": round(row.score),
            "decline_risk": round(row.decline_risk),
            "top_risk_driver": row.top_driver_key,
        }
    return {
        "external_id": row.external_id or f"account-{row.account_id}",
        "name": row.name,
        "owner": row.owner_username,
        **standing,
        "annual_revenue": row.revenue,
        "last_contact_on": contacts.get(row.account_id),
        "next_step": row.next_step,
        "next_step_due": row.next_step_due,
    }
