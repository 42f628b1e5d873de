"""A sales lead's hand on an account: who manages it, who it is shared with, reopening it
once its client comes back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from accounts.access import account_for_user
from accounts.forms import OwnerForm, SharingForm
from accounts.models import Account, AccountStatus
from pages.http import AuthenticatedHttpRequest
from relationships.team import account_reassign, account_share
from scoring import account_status


def _team_answer(
    request: AuthenticatedHttpRequest, account: Account, note: str = "", **forms
) -> HttpResponse:
    """The team form again (htmx), or back to the account page."""
    if not request.htmx and not any(form.errors for form in forms.values()):
        if note:
            messages.success(request, note)
        return redirect("account-detail", account.pk)
    context = {
        "account": account,
        "owner_form": forms.get("owner_form") or OwnerForm(initial={"owner": account.owner_id}),
        "sharing_form": forms.get("sharing_form")
        or SharingForm(initial={"shared_with": list(account.shared_with.all())}),
        "team_note": note,
    }
    response = render(request, "pages/_team_form.html", context)
    return trigger_client_event(response, "accountChanged") if note else response


@login_required
@require_POST
def account_owner(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    account = account_for_user(request.user, account_id, manage=True)
    form = OwnerForm(request.POST)
    if not form.is_valid():
        return _team_answer(request, account, owner_form=form)
    account = account_reassign(
        account=account, owner=form.cleaned_data["owner"], actor=request.user
    )
    owner = account.owner.get_full_name() or account.owner.username
    return _team_answer(request, account, note=f"{owner} now manages this account.")


@login_required
@require_POST
def account_sharing(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    account = account_for_user(request.user, account_id, manage=True)
    form = SharingForm(request.POST)
    if not form.is_valid():
        return _team_answer(request, account, sharing_form=form)
    account_share(account=account, managers=form.cleaned_data["shared_with"], actor=request.user)
    return _team_answer(request, account, note="Sharing saved.")


@login_required
@require_POST
def account_reopen(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """A sales lead reopens a lost account whose client came back."""
    account = account_for_user(request.user, account_id, manage=True)
    if account.status != AccountStatus.LOST:
        messages.info(request, f"{account.name} is already active.")
    else:
        _, let_go = account_status.account_reopen(account=account, actor=request.user)
        note = f"{account.name} is active again; its change history keeps the loss."
        if let_go:
            note += f" Another account now has {', '.join(let_go)}, so it was let go."
        messages.success(request, note)
    return redirect("account-detail", account.pk)
