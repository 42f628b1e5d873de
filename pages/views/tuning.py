"""The tuning page, for scoring admins: versions of the scoring profile, drafts, their history."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.forms import MAX_ID
from accounts.roles import SCORING_ADMIN, require_role
from pages.http import AuthenticatedHttpRequest
from relationships.models import SignalType
from scoring import preview, services
from scoring.backtest import (
    BASELINES,
    HORIZON_WEEKS,
    LEAD_GOAL_WEEKS,
    beats,
    compared_with_live,
)
from scoring.engine import Profile, Stage
from scoring.jobs import backtest_run as backtest_job
from scoring.jobs import rollout as rollout_job
from scoring.models import BacktestRun, ProfileChange, ProfileRollout, ScoringProfile
from scoring.selectors import profile_active
from scoring.tuning.forms import ProfileForm


def _require_scoring_admin(request: AuthenticatedHttpRequest) -> None:
    require_role(
        request.user, SCORING_ADMIN, message="Scoring profiles are tuned by scoring admins."
    )


def _rollout_context() -> dict:
    return {"rollout": ProfileRollout.objects.select_related("profile").first()}


@login_required
def tuning(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_scoring_admin(request)
    context = {
        "versions": ScoringProfile.objects.select_related("created_by").order_by("-version"),
        "changes": ProfileChange.objects.select_related("profile", "actor")[:20],
        **_rollout_context(),
    }
    return render(request, "pages/tuning.html", context)


@login_required
def rollout_progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The latest rollout's progress; the page polls it while a rollout runs."""
    _require_scoring_admin(request)
    response = render(request, "pages/tuning.html#rollout-progress", _rollout_context())
    rollout = _rollout_context()["rollout"]
    if rollout is not None and not rollout.is_open and request.htmx:
        # Finished: the versions list and history change too.
        response = trigger_client_event(response, "profilesChanged")
    return response


@login_required
@require_POST
def profile_go_live(request: AuthenticatedHttpRequest, version: int) -> HttpResponse:
    """Apply a draft, or roll back to an earlier version: both recompute in the background."""
    _require_scoring_admin(request)
    profile = get_object_or_404(ScoringProfile, version=version)
    try:
        rollout_job.profile_rollout_start(profile=profile, actor=request.user)
    except rollout_job.RolloutBusy as busy:
        messages.error(request, str(busy))
    else:
        messages.success(
            request,
            f"Recomputing the history under v{profile.version}; it goes live when complete.",
        )
    return redirect("tuning")


@login_required
@require_POST
def draft_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a draft from any version (the active one, or an earlier one)."""
    _require_scoring_admin(request)
    source = _version_named(request.POST.get("source", ""))
    if source is None:
        messages.error(request, "There is no such version to start a draft from.")
        return redirect("tuning")
    draft = services.profile_draft(source=source, actor=request.user)
    messages.success(request, f"Draft v{draft.version} started from v{source.version}.")
    return redirect("profile-draft", draft.version)


def _version_named(text: str) -> ScoringProfile | None:
    """The version a form names by its number, if there is one."""
    try:
        version = int(text)
    except ValueError:
        return None
    if not 0 < version <= MAX_ID:
        return None
    return ScoringProfile.objects.filter(version=version).first()


def _profile_form(data, *, profile: ScoringProfile, active: ScoringProfile) -> ProfileForm:
    return ProfileForm(
        data,
        params=profile.params,
        active=active.params,
        signal_slugs=SignalType.objects.values_list("slug", flat=True),
        negative_slugs=SignalType.objects.filter(polarity__lt=0).values_list("slug", flat=True),
        initial={"revision": profile.revision},
    )


@login_required
@require_http_methods(["GET", "POST"])
def draft_edit(request: AuthenticatedHttpRequest, version: int) -> HttpResponse:
    _require_scoring_admin(request)
    profile = get_object_or_404(ScoringProfile, version=version)
    live = profile_active()
    form = _profile_form(
        request.POST if request.method == "POST" else None, profile=profile, active=live
    )
    # A version in use is refused by the service, which says so (a page opened before the
    # draft was applied still posts to it).
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(
                profile=profile,
                params=form.params,
                actor=request.user,
                seen_revision=form.cleaned_data["revision"],
            )
        except services.ProfileStale as stale:
            form.add_error(None, str(stale))
        except services.ProfileFrozen as frozen:
            form.add_error(None, str(frozen))
        else:
            messages.success(request, f"Draft v{profile.version} saved.")
            return redirect("profile-draft", profile.version)
    context = {
        "profile": profile,
        "live": live,
        "form": form,
        "changes": profile.changes.select_related("actor")[:20],
        **_backtest_context(profile),
    }
    return render(request, "pages/draft.html", context)


def _backtest_context(profile: ScoringProfile) -> dict:
    """The latest backtest of `profile`: its progress while it runs; when done, its figures
    beside the live version's and the rules of thumb's, and the lead per lost account."""
    run = profile.backtests.select_related("baseline").first()
    if run is None or run.status != BacktestRun.Status.DONE:
        return {"backtest": run}
    mine, theirs = run.result["profile"], run.result["baseline"]
    if "per_account" not in mine:
        return {"backtest": run, "backtest_outdated": True}
    leads = {row["external_id"]: [row, None] for row in mine["per_account"]}
    for other in theirs["per_account"]:
        leads.setdefault(other["external_id"], [None, None])[1] = other
    lost = [pair for pair in leads.values() if (pair[0] or pair[1])["status"] == "lost"]
    live = run.baseline.version if run.baseline else profile.version
    return {
        "backtest": run,
        "backtest_report": mine,
        "backtest_beats_all": all(beats(mine, key) for key in BASELINES),
        "backtest_against_live": (
            compared_with_live(mine, theirs, live_version=live) if live != profile.version else ""
        ),
        # One row per way of predicting a loss: this version, the live one, and the naive
        # baselines (each at this version's alarm budget).
        "backtest_rows": [
            (f"v{profile.version}", mine),
            *([(f"live v{live}", theirs)] if live != profile.version else []),
            *(
                (label, {**mine["baselines"][key], "median_lead_weeks": None})
                for key, label in BASELINES.items()
            ),
        ],
        "backtest_leads": sorted(
            lost, key=lambda pair: (pair[0] or pair[1])["lost_on"], reverse=True
        ),
        "backtest_alarms": [row for row in mine["per_account"] if row["false_alarm"]],
        "lead_goal_weeks": LEAD_GOAL_WEEKS,
        "horizon_weeks": HORIZON_WEEKS,
    }


def _what_if_context(what_if: dict) -> dict:
    """The portfolio today under the live version and the draft, for the page."""
    live, draft = what_if["stages_live"], what_if["stages_draft"]
    stages = {stage.value: stage for stage in Stage}
    changes = [
        {
            **change,
            "before": stages[change["before"]].label,
            "after": stages[change["after"]].label,
            "up": stages[change["after"]] > stages[change["before"]],
        }
        for change in what_if["changes"]
    ]
    return {
        "what_if_stages": [
            (
                stage.label,
                live.get(stage.value, 0),
                draft.get(stage.value, 0),
                draft.get(stage.value, 0) - live.get(stage.value, 0),
            )
            for stage in Stage
        ],
        "what_if_up": [change for change in changes if change["up"]],
        "what_if_down": [change for change in changes if not change["up"]],
        "what_if_risk": (what_if["revenue_at_risk_live"], what_if["revenue_at_risk_draft"]),
        "what_if_risk_change": what_if["revenue_at_risk_draft"] - what_if["revenue_at_risk_live"],
    }


@transaction.non_atomic_requests  # it only reads, and reads best outside one transaction
@login_required
@require_http_methods(["GET", "POST"])
def draft_preview(request: AuthenticatedHttpRequest, version: int) -> HttpResponse:
    """The what-if preview: the whole active portfolio today under the live version and under
    this one. POST previews the draft as edited on the page, before it is saved; GET, the
    version as stored."""
    _require_scoring_admin(request)
    profile = get_object_or_404(ScoringProfile, version=version)
    live = profile_active()
    context: dict = {"profile": profile, "live": live}
    params = profile.params
    if request.method == "POST" and not profile.frozen:
        form = _profile_form(request.POST, profile=profile, active=live)
        form.is_valid()
        # The preview saves nothing, so it does not mind which revision the page holds.
        problems = form.problems()
        if problems:
            context["preview_errors"] = problems
            return render(request, "pages/draft.html#preview-body", context)
        params = form.params
    started = time.perf_counter()
    result = preview.what_if(live=live.engine_profile(), draft=Profile.from_dict(params))
    context.update(_what_if_context(result), preview_seconds=time.perf_counter() - started)
    return render(request, "pages/draft.html#preview-body", context)


@login_required
@require_http_methods(["GET", "POST"])
def backtest(request: AuthenticatedHttpRequest, version: int) -> HttpResponse:
    """POST starts a backtest of the version in the background; GET shows the latest one."""
    _require_scoring_admin(request)
    profile = get_object_or_404(ScoringProfile, version=version)
    if request.method == "POST":
        backtest_job.backtest_start(profile=profile, actor=request.user)
        if not request.htmx:
            return redirect("profile-draft", profile.version)
    context = {"profile": profile, **_backtest_context(profile)}
    return render(request, "pages/draft.html#backtest", context)
