"""A sales lead's hand on an account: who manages it, who it is shared with, reopening it
once its client comes back."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.access import account_for_user
from accounts.forms import OwnerForm, SharingForm, TeamSearch
from accounts.models import Account, AccountStatus
from pages.http import AuthenticatedHttpRequest
from relationships.team import account_reassign, account_share
from scoring import account_status


def team_forms(
    account: Account,
    *,
    find: str = "",
    owner_form: OwnerForm | None = None,
    sharing_form: SharingForm | None = None,
    chosen: QueryDict | None = None,
) -> dict:
    """The team form's context: the two forms, each offering every manager of a small team,
    or of a large one who is chosen now and who the search for `find` found. What is chosen
    comes from a refused form's input, else from `chosen` (a search's request), else from
    the account."""
    search = TeamSearch(find)
    shared_now = [manager.pk for manager in account.shared_with.all()]
    if owner_form is None:
        owner = chosen.get("owner") if chosen is not None else None
        owner_form = OwnerForm(initial={"owner": owner or account.owner_id})
    if sharing_form is None:
        shared: list = chosen.getlist("shared_with") if chosen is not None else shared_now
        sharing_form = SharingForm(initial={"shared_with": shared})
    # Who is saved now stays on offer, unticked when the lead unticked it, until a save.
    owner_form.offer(search, chosen=_values(owner_form, "owner"), kept=[account.owner_id])
    sharing_form.offer(
        search,
        chosen=_values(sharing_form, "shared_with"),
        kept=shared_now,
    )
    return {"owner_form": owner_form, "sharing_form": sharing_form, "team_search": search}


def _values(form: forms.Form, name: str) -> list:
    """What `form` holds for field `name`: the input of a submitted form, else its initial."""
    if form.is_bound:
        return form.data.getlist(name) if hasattr(form.data, "getlist") else []
    value = form.initial.get(name)
    return list(value) if isinstance(value, list | tuple) else [value]


def _team_answer(
    request: AuthenticatedHttpRequest, account: Account, note: str = "", **forms
) -> HttpResponse:
    """The team form again (htmx), or back to the account page."""
    if not request.htmx and not any(form.errors for form in forms.values()):
        if note:
            messages.success(request, note)
        return redirect("account-detail", account.pk)
    context = {"account": account, "team_note": note, **team_forms(account, **forms)}
    response = render(request, "pages/_team_form.html", context)
    return trigger_client_event(response, "accountChanged") if note else response


@login_required
@require_GET
def account_team(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """A search of a large team (htmx): the two forms offering who the search finds, keeping
    what is already chosen on them. Without htmx, the account page with the search."""
    account = account_for_user(request.user, account_id, manage=True)
    find = request.GET.get("find", "")
    if not request.htmx:
        page = reverse("account-detail", args=[account.pk])
        return redirect(f"{page}?{urlencode({'find': find})}#account-team")
    context = {
        "account": account,
        "search_reply": True,  # the search's status line comes along, out of band
        **team_forms(account, find=find, chosen=request.GET),
    }
    return render(request, "pages/_team_form.html#team-forms", context)


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
