"""Webhooks, for scoring admins: register endpoints, see each one's deliveries, send a test.

The signing secret is shown once, on the endpoint's page right after it was added: the session
carries it across the redirect and forgets it as it is shown.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import SCORING_ADMIN, require_role
from pages.http import AuthenticatedHttpRequest
from webhooks import services
from webhooks.events import EVENT_TYPES
from webhooks.forms import EndpointForm
from webhooks.models import Endpoint
from webhooks.selectors import delivery_log, endpoints_listed

LIST_TEMPLATE = "pages/webhooks.html"
ENDPOINT_TEMPLATE = "pages/webhook_endpoint.html"
SESSION_SECRET = "webhook_secret_once"


def _require_admin(request: AuthenticatedHttpRequest) -> None:
    require_role(request.user, SCORING_ADMIN, message="Webhooks are set up by scoring admins.")


def _endpoint_for_admin(request: AuthenticatedHttpRequest, endpoint_id: int) -> Endpoint:
    _require_admin(request)
    return get_object_or_404(Endpoint, pk=endpoint_id)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_admin(request)
    form = EndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        endpoint = services.endpoint_create(actor=request.user, **form.cleaned_data)
        request.session[SESSION_SECRET] = [endpoint.pk, endpoint.secret]
        messages.success(request, "The endpoint is registered. Copy its secret now.")
        return redirect("webhook-endpoint", endpoint.pk)
    context = {"form": form, "endpoints": endpoints_listed(), "event_types": EVENT_TYPES}
    return render(request, LIST_TEMPLATE, context)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_endpoint(request: AuthenticatedHttpRequest, endpoint_id: int) -> HttpResponse:
    """One endpoint: its secret (once), its settings, its delivery log."""
    endpoint = _endpoint_for_admin(request, endpoint_id)
    if request.htmx and request.method == "GET":
        context = {"endpoint": endpoint, "log": delivery_log(endpoint=endpoint)}
        return render(request, f"{ENDPOINT_TEMPLATE}#delivery-log", context)
    initial = {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description}
    form = EndpointForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.endpoint_update(endpoint=endpoint, **form.cleaned_data)
        messages.success(request, "Saved.")
        return redirect("webhook-endpoint", endpoint.pk)
    shown = request.session.get(SESSION_SECRET)
    secret = None
    if shown and shown[0] == endpoint.pk and request.method == "GET":
        secret = shown[1]
        del request.session[SESSION_SECRET]
    context = {
        "endpoint": endpoint,
        "form": form,
        "secret": secret,
        "log": delivery_log(endpoint=endpoint),
    }
    return render(request, ENDPOINT_TEMPLATE, context)


@login_required
@require_POST
def webhook_enable(request: AuthenticatedHttpRequest, endpoint_id: int) -> HttpResponse:
    """Turn the endpoint on (`enabled=1`) or off."""
    endpoint = _endpoint_for_admin(request, endpoint_id)
    enabled = request.POST.get("enabled") == "1"
    services.endpoint_enable(endpoint=endpoint, enabled=enabled)
    messages.success(
        request,
        "Enabled: new events go out to it."
        if enabled
        else "Disabled: it gets no new events; those already queued wait until it is enabled.",
    )
    return redirect("webhook-endpoint", endpoint.pk)


@login_required
@require_POST
def webhook_test(request: AuthenticatedHttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint_for_admin(request, endpoint_id)
    services.endpoint_test(endpoint=endpoint)
    messages.success(
        request,
        "A test event is queued: the background worker sends it within seconds, and the "
        "delivery log below shows how it went.",
    )
    return redirect("webhook-endpoint", endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: AuthenticatedHttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint_for_admin(request, endpoint_id)
    url = endpoint.url
    services.endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Deleted the endpoint {url} and its delivery log.")
    return redirect("webhook-list")
