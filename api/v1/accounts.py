"""Accounts: the list with the dashboard's filters, one account with its standing and why, its
weekly history. Every read goes through accounts/access.py as the token's owner: an account
they may not see is a 404, as on the pages."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from ninja import Query, Router

from accounts.access import account_for_user, accounts_visible_to
from accounts.models import Account
from api.auth import ApiRequest, caller
from api.errors import form_errors
from api.v1.schemas import (
    MAX_OFFSET,
    AccountDetail,
    AccountFilters,
    AccountPage,
    Week,
    refusals,
)
from scoring import standings
from scoring.dashboard.filters import DashboardFilterForm, DashboardFilters
from scoring.dashboard.panels import PortfolioRow
from scoring.dashboard.selectors import UnscoredAccount, portfolio_page
from scoring.engine import Stage
from scoring.models import ScoreSnapshot, ScoringProfile
from scoring.selectors import profile_active

router = Router(tags=["accounts"])

# A page of the list: 100 by default, 500 at most.
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def dashboard_filters(filters: AccountFilters) -> DashboardFilters:
    """The filters, checked by the dashboard's own form; a value it refuses is a 422 naming
    the query parameter."""
    data = {key: value for key, value in filters.model_dump(mode="json").items() if value}
    form = DashboardFilterForm(data)
    if not form.is_valid():
        raise form_errors(form, loc=["query"])
    return form.filters()


def account_url(request: ApiRequest, account_id: int) -> str:
    return request.build_absolute_uri(reverse("account-detail", args=[account_id]))


# The standing's fields of a row, all None while the account has no standing yet.
NO_STANDING = dict.fromkeys(
    (
        "score",
        "stage",
        "stage_label",
        "decline_risk",
        "risk_band",
        "next_stage_gap",
        "top_risk_driver",
        "week_ending",
    )
)


def _row(request: ApiRequest, row: PortfolioRow | UnscoredAccount) -> dict[str, Any]:
    standing = NO_STANDING
    if isinstance(row, PortfolioRow):
        standing = {
            "score": row.score,
            "stage": row.stage.value,
            "stage_label": row.stage.label,
            "decline_risk": row.decline_risk,
            "risk_band": row.risk_band,
            "next_stage_gap": row.next_stage_gap,
            "top_risk_driver": row.top_driver_key,
            "week_ending": row.week_ending,
        }
    return {
        "id": row.account_id,
        "name": row.name,
        "external_id": row.external_id,
        "owner": {"id": row.owner_id, "username": row.owner_username, "name": row.owner_name},
        "industry": row.industry,
        "annual_revenue": row.revenue,
        "partnership_potential": row.potential,
        "status": row.status,
        **standing,
        "next_step": row.next_step,
        "next_step_due": row.next_step_due,
        "url": account_url(request, row.account_id),
    }


@router.get(
    "/accounts",
    response={200: AccountPage, **refusals(422)},
    summary="Active accounts, filtered as the dashboard",
)
def account_list(
    request: ApiRequest,
    filters: Query[AccountFilters],
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> dict[str, Any]:
    """The active accounts the token's owner may see (a manager's own and shared ones, the
    whole portfolio for a sales lead or a scoring admin), with their current standing, by
    name. An account not scored yet is listed with its standing fields null. Takes the
    portfolio dashboard's filters; a stage or risk-band filter leaves unscored accounts out."""
    total, rows = portfolio_page(
        profile=profile_active(),
        filters=dashboard_filters(filters),
        accounts=accounts_visible_to(caller(request)),
        offset=offset,
        limit=limit,
    )
    items = [_row(request, row) for row in rows]
    return {"count": total, "limit": limit, "offset": offset, "items": items}


def standing_now(snapshot: ScoreSnapshot | None, profile: ScoringProfile) -> dict | None:
    if snapshot is None:
        return None
    stage = Stage(snapshot.stage)
    return {
        "week_ending": snapshot.week_ending,
        "score": snapshot.score,
        "stage": stage.value,
        "stage_label": stage.label,
        "decline_risk": snapshot.decline_risk,
        "risk_band": profile.engine_profile().risk_band(snapshot.decline_risk),
        "next_stage_gap": standings.readable_gap(snapshot.next_stage_gap),
        "contributions": standings.contributions_shown(snapshot),
        "risk_drivers": standings.risk_drivers_shown(snapshot),
    }


def _detail(request: ApiRequest, account: Account, profile: ScoringProfile) -> dict[str, Any]:
    owner = account.owner
    return {
        "id": account.pk,
        "name": account.name,
        "external_id": account.external_id,
        "owner": {
            "id": owner.pk,
            "username": owner.username,
            "name": owner.get_full_name() or owner.username,
        },
        "industry": account.industry,
        "annual_revenue": account.annual_revenue,
        "partnership_potential": account.partnership_potential,
        "status": account.status,
        "lost_on": account.lost_on,
        "lost_reason": account.lost_reason,
        "mission": account.mission,
        "objective": account.objective,
        "next_step": account.next_step,
        "next_step_due": account.next_step_due,
        "email_domains": [domain.domain for domain in account.domains.all()],
        "url": account_url(request, account.pk),
        "standing": standing_now(
            standings.standing_latest(account=account, profile=profile), profile
        ),
    }


@router.get(
    "/accounts/{account_id}",
    response={200: AccountDetail, **refusals(404, 422)},
    summary="One account, and why",
)
def account_detail(request: ApiRequest, account_id: int) -> dict[str, Any]:
    """The account's facts and its current standing: score and stage with the contributions
    that add up to the score, decline risk with the drivers that add up to it, and what the
    next stage needs, as the account page shows them."""
    account = account_for_user(caller(request), account_id)
    return _detail(request, account, profile_active())


@router.get(
    "/accounts/{account_id}/history",
    response={200: list[Week], **refusals(404, 422)},
    summary="Weekly history",
)
def account_history(request: ApiRequest, account_id: int) -> list[Any]:
    """The account's standing week by week under the active profile, oldest first."""
    account = account_for_user(caller(request), account_id)
    return [
        point._asdict()
        for point in standings.score_history(account=account, profile=profile_active())
    ]
