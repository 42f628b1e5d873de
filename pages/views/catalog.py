"""The signal catalog, for scoring admins: add a type, rename it, retire it."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import SCORING_ADMIN, require_role
from pages.http import AuthenticatedHttpRequest
from relationships import catalog
from relationships.forms import SignalTypeEditForm, SignalTypeForm
from relationships.models import SignalCategory, SignalType
from scoring.selectors import profile_active

TEMPLATE = "pages/catalog.html"


def _require_scoring_admin(request: AuthenticatedHttpRequest) -> None:
    require_role(
        request.user, SCORING_ADMIN, message="The signal catalog is kept by scoring admins."
    )


def _row_context(signal_type: SignalType, **extra) -> dict:
    profile = profile_active().engine_profile()
    return {"signal_type": signal_type, "weight": profile.signal_weight(signal_type.slug), **extra}


@login_required
@require_http_methods(["GET", "POST"])
def signal_catalog(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_scoring_admin(request)
    form = SignalTypeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        added = catalog.signal_type_add(actor=request.user, **form.cleaned_data)
        messages.success(request, f"“{added.name}” is in the catalog.")
        return redirect("signal-catalog")
    profile = profile_active().engine_profile()
    labels = dict(SignalCategory.choices)
    types = SignalType.objects.order_by("category", "-polarity", "name")
    groups = [
        (labels.get(category, category), [(t, profile.signal_weight(t.slug)) for t in members])
        for category, members in groupby(types, key=lambda t: t.category)
    ]
    context = {"form": form, "groups": groups, "history": catalog.catalog_history()}
    return render(request, TEMPLATE, context)


@login_required
@require_http_methods(["GET", "POST"])
def signal_type_edit(request: AuthenticatedHttpRequest, signal_type_id: int) -> HttpResponse:
    _require_scoring_admin(request)
    signal_type = get_object_or_404(SignalType, pk=signal_type_id)
    form = SignalTypeEditForm(
        request.POST if request.method == "POST" else None,
        instance=SignalType.objects.get(pk=signal_type.pk),
    )
    if request.method == "POST" and form.is_valid():
        signal_type = catalog.signal_type_update(
            actor=request.user, signal_type=signal_type, **form.cleaned_data
        )
        if not request.htmx:
            return redirect("signal-catalog")
        return render(request, f"{TEMPLATE}#catalog-row", _row_context(signal_type))
    if not request.htmx:
        return render(request, TEMPLATE, {"edit_form": form, "editing": signal_type})
    return render(request, f"{TEMPLATE}#catalog-row", _row_context(signal_type, edit_form=form))


@login_required
@require_POST
def signal_type_toggle(request: AuthenticatedHttpRequest, signal_type_id: int) -> HttpResponse:
    """Retire a signal type, or bring a retired one back."""
    _require_scoring_admin(request)
    signal_type = get_object_or_404(SignalType, pk=signal_type_id)
    signal_type = catalog.signal_type_set_active(
        actor=request.user, signal_type=signal_type, active=not signal_type.is_active
    )
    if not request.htmx:
        return redirect("signal-catalog")
    return render(request, f"{TEMPLATE}#catalog-row", _row_context(signal_type))
