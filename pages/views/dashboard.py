"""The portfolio dashboard for sales leads (docs/model.md, The account record), and its CSV
export."""

from __future__ import annotations

import csv
import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from accounts.roles import SALES_LEAD, SCORING_ADMIN, require_role
from config.db_router import replica_reads_view
from pages.http import AuthenticatedHttpRequest
from pages.kept import kept_render
from scoring import charts
from scoring.dashboard import panels
from scoring.dashboard.export import EXPORT_COLUMNS, export_lines, last_contacts, with_unscored
from scoring.dashboard.filters import DashboardFilterForm
from scoring.dashboard.selectors import portfolio_standings, portfolio_unscored
from scoring.dashboard.summary import MAP_ALL_POINTS, Overview, Standings
from scoring.engine.curve import week_ending
from scoring.models import ScoringProfile
from scoring.selectors import profile_active


def _require_portfolio_role(request: AuthenticatedHttpRequest) -> None:
    require_role(
        request.user,
        SALES_LEAD,
        SCORING_ADMIN,
        message="The portfolio dashboard is for sales leads.",
    )


@login_required
@replica_reads_view
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The portfolio in counts and short lists, whatever its size (scoring/dashboard/summary.py);
    the CSV export holds every account. Its body is the same for every sales lead asking the
    same thing, and is kept for a few seconds (pages/kept.py)."""
    _require_portfolio_role(request)
    profile = profile_active()
    today = timezone.localdate()
    body = kept_render(
        request,
        ("dashboard", profile.pk, today, get_language()),
        lambda: _body(request, profile, today),
    )
    if request.htmx and not request.htmx.history_restore_request:
        return HttpResponse(body)
    return render(request, "pages/dashboard.html", {"body": body})


def _body(
    request: AuthenticatedHttpRequest, profile: ScoringProfile, today: datetime.date
) -> SafeString:
    form = DashboardFilterForm(request.GET)
    form.is_valid()  # errors are shown by their fields; valid filters still apply
    filters = form.filters()
    standings = Standings(profile=profile, filters=filters, today=today)
    overview = standings.overview(this_week=week_ending(today))
    context = {
        "form": form,
        "filters": filters,
        "query": request.GET.urlencode(),
        "latest_week": overview.latest_week,
        "behind": overview.behind,
        "tiles": panels.tiles(overview.stages, largest_account=standings.largest_account()),
        "stages": panels.STAGES,
        "at_risk": standings.at_risk(),
        "partners": standings.could_become_partners(),
        "neglected": standings.neglected_regulars(),
        "gaps": standings.perception_gaps(),
        "managers": standings.managers(page=_managers_page(request)),
        "query_without_page": _without(request.GET, "managers_page"),
        **_period_panels(standings, overview.latest_week, days=filters.period),
        **_map(standings, overview, thresholds=profile.params["stage_thresholds"]),
    }
    # A rendered template: safe (render_to_string returns it so; its type says only str).
    return SafeString(render_to_string("pages/dashboard.html#dashboard-body", context, request))


def _managers_page(request: AuthenticatedHttpRequest) -> int:
    """The page of the by-manager table asked for: 1 unless the link said a whole number (a
    page past the last says there are no managers that far)."""
    value = request.GET.get("managers_page", "")
    # isascii: "²" is a digit to str.isdigit() but no number to int().
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 1


def _without(query: QueryDict, name: str) -> str:
    """`query` encoded for a link, without `name`."""
    rest = query.copy()
    rest.pop(name, None)
    return rest.urlencode()


def _period_panels(
    standings: Standings, latest_week: datetime.date | None, *, days: int
) -> dict[str, Any]:
    """The movers and the stage transitions over the period, from each account's latest week
    back."""
    if latest_week is None:
        return {"climbers": [], "sliders": [], "transitions": panels.Transitions()}
    climbers, sliders = standings.movers(days=days)
    return {
        "climbers": climbers,
        "sliders": sliders,
        "transitions": standings.transitions(days=days),
    }


def _map(standings: Standings, overview: Overview, *, thresholds: dict) -> dict[str, Any]:
    """The portfolio map: every account as a point while the view is small, else the
    riskiest as points over squares that count the rest."""
    points = standings.map_points(accounts=overview.accounts, trails=standings.filters.trails)
    bins = []
    if len(points) < overview.accounts:
        bins = [(b.score_bin, b.risk_bin, b.accounts) for b in standings.map_bins()]
    return {
        "map_chart": charts.portfolio_map_figure(
            points, bins=bins, thresholds=thresholds, trails=standings.filters.trails
        ),
        "map_summary": charts.portfolio_map_summary(
            overview.risk_bands, drawn=len(points), every_point_up_to=MAP_ALL_POINTS
        ),
        "map_drawn": len(points),
        "map_accounts": overview.accounts,
    }


@login_required
@replica_reads_view
def dashboard_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The accounts in the current view as CSV (the columns of `export_portfolio`), with the
    active accounts not scored yet (their standing cells empty) unless a stage or risk band
    is chosen."""
    _require_portfolio_role(request)
    form = DashboardFilterForm(request.GET)
    form.is_valid()
    today = timezone.localdate()
    profile, filters = profile_active(), form.filters()
    standings = portfolio_standings(profile=profile, filters=filters)
    # The dashboard's panels need a standing; the export also lists accounts not scored yet.
    rows = with_unscored(standings, portfolio_unscored(profile=profile, filters=filters))
    contacts = last_contacts(account_ids=[row.account_id for row in rows], as_of=today)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{today.isoformat()}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_lines(rows, contacts))
    return response
