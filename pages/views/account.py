"""The account page: where an account manager sees the relationship and what moves it.

The page is one template whose panels are inline partials. After any write, the server sends
an `evidenceChanged` event (HX-Trigger) and each panel that depends on the evidence re-fetches
itself with `?panel=<name>`; the server never needs to know which panels are on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.access import (
    account_for_user,
    accounts_visible_to,
    may_edit_details,
    may_manage_accounts,
    may_write,
)
from accounts.models import Account, AccountStatus
from pages.http import AuthenticatedHttpRequest
from pages.views.team import team_forms
from relationships import selectors, services
from relationships.forms import AccountFactsForm, AssessmentForm, ContactForm, ContactLeftForm
from relationships.models import Contact
from scoring import charts, standings, use_cases
from scoring.engine import Stage
from scoring.models import ScoreSnapshot, ScoringProfile
from scoring.selectors import profile_active

TEMPLATE = "pages/account_detail.html"
EVIDENCE_CHANGED = "evidenceChanged"


class PageData:
    """What several panels read, fetched at most once per request."""

    def __init__(
        self, request: AuthenticatedHttpRequest, account: Account, profile: ScoringProfile
    ):
        self.request, self.account, self.profile = request, account, profile

    @cached_property
    def history(self) -> list[charts.HistoryPoint]:
        return standings.score_history(account=self.account, profile=self.profile)

    @cached_property
    def latest(self) -> ScoreSnapshot | None:
        return standings.standing_latest(account=self.account, profile=self.profile)


def _header(data: PageData) -> dict[str, Any]:
    history, latest, profile = data.history, data.latest, data.profile
    context: dict[str, Any] = {"latest": latest, "history_weeks": len(history)}
    if latest is not None:
        engine_profile = profile.engine_profile()
        context["stage"] = Stage(latest.stage)
        context["risk_band"] = engine_profile.risk_band(latest.decline_risk)
        context["risk_drivers"] = standings.risk_drivers_shown(latest)
        if len(history) > standings.TREND_WEEKS:
            context["trend"] = latest.score - history[-1 - standings.TREND_WEEKS].score
    return context


def _charts(data: PageData) -> dict[str, Any]:
    history = data.history
    thresholds = data.profile.params["stage_thresholds"]
    marks = standings.signal_marks(account=data.account)
    return {
        "history_chart": charts.history_figure(history, marks, thresholds=thresholds),
        "curve_chart": charts.s_curve_figure(history, thresholds=thresholds),
        "history_summary": charts.history_summary(history),
        "curve_summary": charts.s_curve_summary(history),
        "history_weeks": len(history),
    }


def _why(data: PageData) -> dict[str, Any]:
    latest = data.latest
    if latest is None:
        return {"latest": None}
    return {
        "latest": latest,
        "contributions": standings.contributions_shown(latest),
        "next_stage_gap": standings.readable_gap(latest.next_stage_gap),
    }


def _timeline(data: PageData) -> dict[str, Any]:
    try:
        page = int(data.request.GET.get("page", "1"))
    except ValueError:
        page = 1
    return {"timeline": selectors.timeline_page(account=data.account, page=page)}


def _facts(data: PageData) -> dict[str, Any]:
    account = data.account
    client = standings.client_view(account=account, profile=data.profile)
    return {
        "pressures": list(account.pressures.all()),
        "contacts": list(account.contacts.select_related("reports_to")),
        "assessment": client.latest,
        "perceived": client.perceived,
    }


def _audit(data: PageData) -> dict[str, Any]:
    entries = selectors.audit_trail(account=data.account)
    user = data.request.user
    return {"audit_entries": [(entry, selectors.undoable(entry, user=user)) for entry in entries]}


PANELS: dict[str, Callable[[PageData], dict[str, Any]]] = {
    "account-header": _header,
    "account-charts": _charts,
    "why-stage": _why,
    "timeline": _timeline,
    "timeline-items": _timeline,
    "account-facts": _facts,
    "audit-trail": _audit,
}


@login_required
def account_detail(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    account = account_for_user(request.user, account_id)
    profile = profile_active()
    context: dict[str, Any] = {
        "account": account,
        "can_write": may_write(request.user, account),
        "can_edit_details": may_edit_details(request.user, account),
        "can_manage": may_manage_accounts(request.user),
    }
    panel = request.GET.get("panel")
    if request.htmx and panel:
        if panel not in PANELS:
            raise Http404("No such panel.")
        context.update(PANELS[panel](PageData(request, account, profile)))
        return render(request, f"{TEMPLATE}#{panel}", context)
    data = PageData(request, account, profile)
    for build in dict.fromkeys(PANELS.values()):  # each builder once
        context.update(build(data))
    if may_manage_accounts(request.user):
        context.update(team_forms(account, find=request.GET.get("find", "")))
        context["can_reopen"] = account.status == AccountStatus.LOST
    return render(request, TEMPLATE, context)


def _panel_or_page(
    request: AuthenticatedHttpRequest,
    account: Account,
    panel: str,
    extra: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """Answer an htmx request with one panel, a plain request with the whole page."""
    profile = profile_active()
    context: dict[str, Any] = {
        "account": account,
        "can_write": True,
        "can_edit_details": True,
        "can_manage": may_manage_accounts(request.user),
        **extra,
    }
    data = PageData(request, account, profile)
    if request.htmx:
        context.update(PANELS[panel](data))
        return render(request, f"{TEMPLATE}#{panel}", context, status=status)
    for build in dict.fromkeys(PANELS.values()):  # each builder once
        context.update(build(data))
    return render(request, TEMPLATE, context, status=status)


def _facts_saved(request: AuthenticatedHttpRequest, account: Account) -> HttpResponse:
    """After a change to the account's facts: the page again without htmx, otherwise the facts
    panel, and `accountChanged` so the header and history refresh."""
    if not request.htmx:
        return redirect("account-detail", account.pk)
    response = _panel_or_page(request, account, "account-facts", {})
    return trigger_client_event(response, "accountChanged")


@login_required
@require_http_methods(["GET", "POST"])
def account_facts_edit(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """Edit the account's facts (mission, external pressures, partnership potential) and our
    plan for it (objective, next step) in place."""
    account = account_for_user(request.user, account_id, write=True)
    if request.method == "POST":
        form = AccountFactsForm(request.POST)
        if form.is_valid():
            services.account_facts_update(account=account, actor=request.user, **form.cleaned_data)
            return _facts_saved(request, account)
    else:
        form = AccountFactsForm(
            initial={
                "mission": account.mission,
                "partnership_potential": account.partnership_potential,
                "pressures": "\n".join(account.pressures.values_list("description", flat=True)),
                "objective": account.objective,
                "next_step": account.next_step,
                "next_step_due": account.next_step_due,
            }
        )
    return _panel_or_page(request, account, "account-facts", {"facts_form": form})


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """Record today's reading of relevance and the client's view of the stage."""
    account = account_for_user(request.user, account_id, write=True)
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        if form.is_valid():
            _, change = use_cases.assessment_record(
                account=account, actor=request.user, **form.cleaned_data
            )
            if not request.htmx:
                return redirect("account-detail", account.pk)
            response = _panel_or_page(
                request, account, "account-facts", {"facts_message": change.summary}
            )
            return trigger_client_event(response, EVIDENCE_CHANGED)
    else:
        latest = selectors.assessment_latest(account=account)
        initial = (
            {"relevance": latest.relevance, "client_perceived_stage": latest.client_perceived_stage}
            if latest
            else {}
        )
        form = AssessmentForm(initial=initial)
    return _panel_or_page(request, account, "account-facts", {"assessment_form": form})


@login_required
@require_POST
def contact_left(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    """Mark a contact as gone from the client (a champion leaving is a warning sign)."""
    contact = get_object_or_404(
        Contact.objects.select_related("account"),
        pk=contact_id,
        account__in=accounts_visible_to(request.user),
    )
    account = account_for_user(request.user, contact.account_id, write=True)
    form = ContactLeftForm(request.POST)
    if form.is_valid():
        _, change = use_cases.contact_left(contact=contact, actor=request.user, **form.cleaned_data)
        note = f"{contact.name} marked as gone" + (f" — {change.summary}." if change else ".")
        if not request.htmx:
            messages.success(request, note)
            return redirect("account-detail", account.pk)
        response = _panel_or_page(request, account, "account-facts", {"facts_message": note})
        response = trigger_client_event(response, "accountChanged")
        # A champion or sponsor gone moves the score: every panel that shows it refreshes.
        return trigger_client_event(response, EVIDENCE_CHANGED) if change else response
    errors = "; ".join(str(error) for errors in form.errors.values() for error in errors)
    return _panel_or_page(
        request, account, "account-facts", {"contact_error": (contact.pk, errors)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    account = account_for_user(request.user, account_id, write=True)
    if request.method == "POST":
        form = ContactForm(request.POST, account=account)
        if form.is_valid():
            try:
                services.contact_add(account=account, actor=request.user, details=form.details())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _facts_saved(request, account)
    else:
        form = ContactForm(account=account)
    return _panel_or_page(request, account, "account-facts", {"contact_form": form})
