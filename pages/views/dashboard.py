"""The portfolio dashboard for sales leads (docs/model.md, The account record), and its CSV
export."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.roles import SALES_LEAD, SCORING_ADMIN, require_role
from config.db_router import replica_reads_view
from pages.http import AuthenticatedHttpRequest
from scoring import charts
from scoring.dashboard import panels
from scoring.dashboard.export import EXPORT_COLUMNS, export_lines, last_contacts, with_unscored
from scoring.dashboard.filters import DashboardFilterForm
from scoring.dashboard.selectors import portfolio_unscored, portfolio_view
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
    _require_portfolio_role(request)
    form = DashboardFilterForm(request.GET)
    form.is_valid()  # errors are shown by their fields; valid filters still apply
    filters = form.filters()
    profile = profile_active()
    today = timezone.localdate()
    view = portfolio_view(profile=profile, filters=filters, today=today)
    rows = view.rows
    climbers, sliders = panels.movers(rows, days=filters.period)
    context = {
        "form": form,
        "filters": filters,
        "query": request.GET.urlencode(),
        "latest_week": view.latest_week,
        "behind": view.behind,
        "tiles": panels.tiles(rows),
        "map_chart": charts.portfolio_map_figure(
            rows, thresholds=profile.params["stage_thresholds"], trails=filters.trails
        ),
        "map_summary": charts.portfolio_map_summary(rows),
        "climbers": climbers,
        "sliders": sliders,
        "transitions": panels.transitions(rows, days=filters.period),
        "stages": panels.STAGES,
        "at_risk": panels.at_risk(rows),
        "partners": panels.could_become_partners(rows),
        "neglected": panels.neglected_regulars(rows),
        "gaps": panels.perception_gaps(rows),
        "managers": panels.by_manager(rows, interactions_30=view.interactions_30, today=today),
    }
    template_name = "pages/dashboard.html"
    if request.htmx and not request.htmx.history_restore_request:
        template_name += "#dashboard-body"
    return render(request, template_name, context)


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
    view = portfolio_view(profile=profile, filters=filters, today=today)
    # The dashboard's panels need a standing; the export also lists accounts not scored yet.
    rows = with_unscored(view.rows, portfolio_unscored(profile=profile, filters=filters))
    contacts = last_contacts(account_ids=[row.account_id for row in rows], as_of=today)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{today.isoformat()}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_lines(rows, contacts))
    return response
