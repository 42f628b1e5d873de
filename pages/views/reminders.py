"""Reminders: the Today panel of the home page and what its buttons do, each person's digest
and calendar settings, the private calendar feed, and the worker's health for monitors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from accounts.roles import SCORING_ADMIN, role_names
from pages.http import AuthenticatedHttpRequest
from reminders.calendar import calendar_for
from reminders.forms import MARK_ACTIONS, ReminderMarkForm, ReminderPreferenceForm
from reminders.models import CalendarFeed, ReminderPreference
from reminders.selectors import Inbox, inbox_for, leads_team
from reminders.services import feed_create, feed_owner, feed_revoke, reminder_mark
from reminders.worker import WorkerHealth, worker_health
from scoring.models import ScoringProfile

# The session remembers the person's count of reminders for the header, with its day, so that
# the header costs no query: it is refreshed wherever the inbox is computed (the home page and
# its buttons), and shown only on the day it was counted.
SESSION_COUNT = "reminders_due"


def remember_count(request: HttpRequest, inbox: Inbox) -> None:
    counted = [inbox.today.isoformat(), inbox.count]
    if request.session.get(SESSION_COUNT) != counted:
        request.session[SESSION_COUNT] = counted


def sees_worker_health(request: AuthenticatedHttpRequest) -> bool:
    """Leads and admins are told when reminders are not going out."""
    user = request.user
    return leads_team(user) or user.is_staff or SCORING_ADMIN in role_names(user)


def health_for(request: AuthenticatedHttpRequest) -> WorkerHealth | None:
    return worker_health() if sees_worker_health(request) else None


def today_context(
    request: AuthenticatedHttpRequest, *, profile: ScoringProfile | None = None
) -> dict:
    """What the Today panel shows (and the header's count, remembered)."""
    inbox = inbox_for(request.user, timezone.localdate(), profile=profile)
    remember_count(request, inbox)
    return {
        "inbox": inbox,
        "mine": inbox.by_kind(inbox.mine),
        "team": inbox.by_kind(inbox.team),
    }


@login_required
@require_POST
def reminder_mark_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Done, snooze (a day, a week) or dismiss one of the person's reminders."""
    form = ReminderMarkForm(request.POST)
    if not form.is_valid():
        raise Http404("No such reminder.")
    today = timezone.localdate()
    key, action = form.cleaned_data["key"], form.cleaned_data["action"]
    if key not in {reminder.key for reminder in inbox_for(request.user, today).reminders}:
        raise Http404("No such reminder.")
    reminder_mark(user=request.user, key=key, action=action, today=today)
    if request.htmx:
        response = render(request, "pages/home.html#today-panel", today_context(request))
        # The header's count follows (static/js/app.js).
        count = request.session[SESSION_COUNT][1]
        return trigger_client_event(response, "remindersChanged", {"count": count})
    remember_count(request, inbox_for(request.user, today))
    messages.success(request, MARK_ACTIONS[action] + ".")
    return redirect("home")


def _settings_page(request, form, *, new_feed_url: str = "", status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "feed_live": CalendarFeed.objects.filter(
            user=request.user, revoked_at__isnull=True
        ).exists(),
        "new_feed_url": new_feed_url,
        "health": health_for(request),
        "leads_team": leads_team(request.user),
    }
    return render(request, "pages/reminder_settings.html", context, status=status)


@login_required
def reminder_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How often the digest comes and at what hour; the private calendar feed."""
    preference = ReminderPreference.objects.filter(user=request.user).first()
    instance = preference or ReminderPreference(user=request.user)
    if request.method != "POST":
        return _settings_page(request, ReminderPreferenceForm(instance=instance))
    action = request.POST.get("action", "save")
    if action == "feed_create":
        token = feed_create(user=request.user)
        url = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
        return _settings_page(request, ReminderPreferenceForm(instance=instance), new_feed_url=url)
    if action == "feed_revoke":
        feed_revoke(user=request.user)
        messages.success(request, "The calendar address is revoked: it shows nothing any more.")
        return redirect("reminder-settings")
    form = ReminderPreferenceForm(request.POST, instance=instance)
    if not form.is_valid():
        return _settings_page(request, form)
    form.save()
    messages.success(request, "Saved.")
    return redirect("reminder-settings")


@transaction.non_atomic_requests
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's calendar, to whoever holds its private address; a revoked or unknown one
    is a 404."""
    user = feed_owner(token)
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(
        calendar_for(user, timezone.localdate()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="reminders.ics"'
    # Account names and next steps: for the calendar that asked, never for a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


@transaction.non_atomic_requests
def worker_health_check(request: HttpRequest) -> HttpResponse:
    """For a monitor or load balancer: 200 while the worker beats and the last digest went
    out, 503 otherwise (the web process's own liveness is `/healthz`)."""
    health = worker_health()
    if health.ok:
        return HttpResponse("ok\n", content_type="text/plain")
    # Anyone may ask, so the answer names the failure and nothing more: who was not reached,
    # and why, is for the banner that signed-in leads and admins see.
    text = "worker stale\n" if health.stale else "digest failed\n"
    return HttpResponse(text, status=503, content_type="text/plain; charset=utf-8")
