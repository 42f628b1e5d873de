"""The home page: my accounts (a sales lead's: all of them), searchable and sortable in place,
with each one's stage, decline risk and whether contact is overdue."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.access import may_manage_accounts
from accounts.models import Account, AccountStatus
from accounts.roles import sees_whole_portfolio
from pages.http import AuthenticatedHttpRequest
from pages.views.reminders import health_for, today_context
from relationships.capture.selectors import review_count
from scoring.selectors import profile_active
from scoring.standings import (
    ACCOUNT_SORTS,
    Standing,
    account_rows_for,
    contact_overdue,
    standings_for,
    usual_rhythm_days,
)

PAGE_SIZE = 50


@dataclass
class AccountRow:
    account: Account
    standing: Standing | None
    risk_band: str | None
    days_since_contact: int | None
    rhythm_days: float | None

    @property
    def overdue(self) -> bool:
        # A lost or archived account is not neglected: it is gone.
        if self.account.status != AccountStatus.ACTIVE:
            return False
        return contact_overdue(
            days_since_contact=self.days_since_contact, rhythm_days=self.rhythm_days
        )


# Sortable columns: (sort key, label, the direction a first click sorts in).
SORTABLE_COLUMNS = [
    ("name", "Account", "name"),
    ("score", "Stage · score", "-score"),
    ("risk", "Decline risk", "-risk"),
    ("contact", "Last contact", "contact"),
    ("next", "Our next step", "next"),
]


def _sort_headers(sort: str) -> list[dict[str, str | None]]:
    """Each sortable column's label, the sort a click asks for, and its current direction."""
    headers: list[dict[str, str | None]] = []
    for key, label, first_click in SORTABLE_COLUMNS:
        if sort.lstrip("-") == key:
            descending = sort.startswith("-")
            headers.append(
                {
                    "label": label + (" ↓" if descending else " ↑"),
                    "sort": key if descending else f"-{key}",
                    "aria_sort": "descending" if descending else "ascending",
                }
            )
        else:
            headers.append({"label": label, "sort": first_click, "aria_sort": None})
    return headers


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My accounts (a sales lead's: all accounts), searchable and sortable in place."""
    # No name holds a NUL byte, and PostgreSQL refuses one even in a search term.
    search = request.GET.get("q", "").replace("\x00", "")[:100]
    include_closed = request.GET.get("closed") == "1"
    sort = request.GET.get("sort", "name")
    if sort not in ACCOUNT_SORTS:
        sort = "name"
    today = timezone.localdate()
    active = profile_active()
    rows_found = account_rows_for(
        request.user,
        rhythm_window_days=active.params["rhythm_window_days"],
        search=search,
        sort=sort,
        today=today,
        include_closed=include_closed,
    )
    page = Paginator(rows_found, PAGE_SIZE).get_page(request.GET.get("page"))
    standings = standings_for(page.object_list)
    profile = active.engine_profile()
    rows = [
        AccountRow(
            account=account,
            standing=standings.get(account.pk),
            risk_band=None
            if account.decline_risk is None
            else profile.risk_band(account.decline_risk),
            days_since_contact=(
                None if account.last_contact_on is None else (today - account.last_contact_on).days
            ),
            rhythm_days=usual_rhythm_days(account),
        )
        for account in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "search": search,
        "sort": sort,
        "sort_headers": _sort_headers(sort),
        "whole_portfolio": sees_whole_portfolio(request.user),
        "include_closed": include_closed,
        "can_open_accounts": may_manage_accounts(request.user),
    }
    template_name = "pages/home.html"
    if request.htmx and not request.htmx.boosted:
        return render(request, template_name + "#account-table", context)
    # The full page also shows what is due today, how many captured meetings wait to be
    # confirmed, and leads and admins whether the worker that sends reminders is running.
    context.update(today_context(request, profile=active), health=health_for(request))
    context["capture_waiting"] = review_count(owner=request.user)
    return render(request, template_name, context)
