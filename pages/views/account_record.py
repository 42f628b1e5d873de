"""The account record: a sales lead opens an account, its managers and sales leads edit its
details, a sales lead closes it (lost, archived) or brings it back; contacts are edited.

Each form is a plain page (it works without JavaScript); a refused form comes back with the
message next to the field and nothing saved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import (
    account_for_user,
    accounts_visible_to,
    may_manage_accounts,
)
from accounts.forms import AccountDetailsForm, LostForm
from accounts.models import Account, AccountStatus
from pages.http import AuthenticatedHttpRequest
from relationships import account_record, services
from relationships.forms import ContactForm
from relationships.models import Contact
from scoring import use_cases

TEMPLATE = "pages/account_form.html"


def _refused(form: Form, error: ValidationError) -> None:
    """A write the service refused (its transaction rolled back, nothing half-saved): each
    message goes next to its field, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _form_page(request: AuthenticatedHttpRequest, context: dict[str, Any]) -> HttpResponse:
    return render(request, TEMPLATE, context)


def _account_form_page(
    request: AuthenticatedHttpRequest,
    account: Account,
    form: Form,
    *,
    title: str,
    action: str,
    submit: str,
    intro: str = "",
) -> HttpResponse:
    """A form about one existing account, cancelled back to the account's page."""
    return _form_page(
        request,
        {
            "title": title,
            "account": account,
            "form": form,
            "action": action,
            "submit": submit,
            "cancel": reverse("account-detail", args=[account.pk]),
            "intro": intro,
        },
    )


def _details(form: AccountDetailsForm, owner) -> account_record.AccountDetails:
    data = form.cleaned_data
    return account_record.AccountDetails(
        name=data["name"],
        industry=data["industry"],
        owner=data.get("owner") or owner,
        annual_revenue=data["annual_revenue"],
        partnership_potential=data["partnership_potential"],
        external_id=data["external_id"],
        domains=tuple(data["domains"]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A sales lead opens an account and hands it to a manager."""
    if not may_manage_accounts(request.user):
        raise PermissionDenied("Only a sales lead opens accounts.")
    form = AccountDetailsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_record.account_create(
                details=_details(form, None), actor=request.user
            )
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(request, f"{account.name} is open, managed by {account.owner}.")
            return redirect("account-detail", account.pk)
    return _form_page(
        request,
        {
            "title": "New account",
            "form": form,
            "action": reverse("account-new"),
            "submit": "Open the account",
            "cancel": reverse("home"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_details_edit(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """Edit who the client is; only a sales lead also changes the owner."""
    account = account_for_user(request.user, account_id, details=True)
    with_owner = may_manage_accounts(request.user)
    if request.method == "POST":
        form = AccountDetailsForm(request.POST, with_owner=with_owner)
        if form.is_valid():
            try:
                account_record.account_details_update(
                    account=account, actor=request.user, details=_details(form, account.owner)
                )
            except ValidationError as error:
                _refused(form, error)
            else:
                messages.success(request, "Details saved; you can undo it from the history.")
                return redirect("account-detail", account.pk)
    else:
        form = AccountDetailsForm(
            initial=AccountDetailsForm.initial_for(account), with_owner=with_owner
        )
    return _account_form_page(
        request,
        account,
        form,
        title=f"Details of {account.name}",
        action=reverse("account-details", args=[account.pk]),
        submit="Save details",
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_lost(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """A sales lead closes an active account as lost."""
    account = account_for_user(request.user, account_id, manage=True)
    if account.status != AccountStatus.ACTIVE:
        messages.info(request, f"{account.name} is not active.")
        return redirect("account-detail", account.pk)
    form = LostForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            use_cases.account_mark_lost(
                account=account,
                actor=request.user,
                lost_on=data["lost_on"],
                reason=data["reason"],
                note=data["note"],
            )
        except ValidationError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                f"{account.name} is marked lost; it leaves the active lists and stays in the "
                "history, exports and the backtest.",
            )
            return redirect("account-detail", account.pk)
    return _account_form_page(
        request,
        account,
        form,
        title=f"Mark {account.name} lost",
        action=reverse("account-lost", args=[account.pk]),
        submit="Mark lost",
        intro="It leaves the account list, the dashboard and the reminders; its history "
        "stays, and a sales lead can win it back.",
    )


def _let_go_note(let_go: list[str]) -> str:
    if not let_go:
        return ""
    return f" Another account now has {', '.join(let_go)}, so it was let go."


@login_required
@require_POST
def account_archive(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    account = account_for_user(request.user, account_id, manage=True)
    if account.status == AccountStatus.ARCHIVED:
        account, let_go = use_cases.account_unarchive(account=account, actor=request.user)
        note = f"{account.name} is {account.get_status_display().lower()} again."
        messages.success(request, note + _let_go_note(let_go))
    else:
        use_cases.account_archive(account=account, actor=request.user)
        messages.success(request, f"{account.name} is archived; unarchive it to bring it back.")
    return redirect("account-detail", account.pk)


def _contact_for(request: AuthenticatedHttpRequest, contact_id: int) -> tuple[Contact, Account]:
    contact = get_object_or_404(
        Contact.objects.select_related("account"),
        pk=contact_id,
        account__in=accounts_visible_to(request.user),
    )
    return contact, account_for_user(request.user, contact.account_id, write=True)


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    """Change what we know of a person at the client."""
    contact, account = _contact_for(request, contact_id)
    if request.method == "POST":
        form = ContactForm(request.POST, account=account, contact=contact)
        if form.is_valid():
            try:
                services.contact_update(contact=contact, actor=request.user, details=form.details())
            except ValidationError as error:
                _refused(form, error)
            else:
                messages.success(request, f"{form.cleaned_data['name']} saved.")
                return redirect(reverse("account-detail", args=[account.pk]) + "#account-facts")
    else:
        form = ContactForm(
            initial=ContactForm.initial_for(contact), account=account, contact=contact
        )
    return _account_form_page(
        request,
        account,
        form,
        title=f"{contact.name} at {account.name}",
        action=reverse("contact-edit", args=[contact.pk]),
        submit="Save contact",
    )
