"""Logging, editing, deleting and undoing interactions.

Every form opens in place on the account page (htmx) and also works as a plain page. A
successful write answers with a short "what changed" note and an `evidenceChanged` event, on
which the header, charts, timeline and audit trail refresh themselves.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from accounts.access import account_for_user, accounts_visible_to, may_change_entry
from accounts.models import AccountStatus
from pages.http import AuthenticatedHttpRequest
from pages.views.account import EVIDENCE_CHANGED
from relationships import selectors, services
from relationships.forms import InteractionForm
from relationships.models import AuditAction, AuditEntry, Interaction
from relationships.services import StaleEntry, UndoUnavailable
from scoring import use_cases

TEMPLATE = "pages/interaction_form.html"


def _interaction_for(request: AuthenticatedHttpRequest, interaction_id: int) -> Interaction:
    """An interaction the user may change: on an account they may change, and logged by them
    (or by nobody, as imported history is, on their own account)."""
    try:
        interaction = Interaction.objects.select_related("account", "logged_by").get(
            pk=interaction_id, account__in=accounts_visible_to(request.user)
        )
    except Interaction.DoesNotExist:
        raise Http404("No such entry.") from None
    account = account_for_user(request.user, interaction.account_id, write=True)
    if not may_change_entry(request.user, account, author_id=interaction.logged_by_id):
        raise PermissionDenied("Only the person who logged an entry can change it.")
    interaction.account = account
    return interaction


def _done(
    request: AuthenticatedHttpRequest,
    account_id: int,
    note: str,
    undo_entry: AuditEntry | None = None,
) -> HttpResponse:
    """After a successful write: the note in the log panel (htmx), or back to the page.

    Whatever element asked, the answer lands in the log panel at the top of the page; the
    event makes every panel that shows evidence refresh itself.
    """
    if not request.htmx:
        messages.success(request, note)
        return redirect("account-detail", account_id)
    response = render(
        request,
        f"{TEMPLATE}#log-closed",
        {"account_id": account_id, "note": note, "undo_entry": undo_entry},
    )
    response = reswap(retarget(response, "#log-panel"), "innerHTML")
    return trigger_client_event(response, EVIDENCE_CHANGED)


def _form_page(request: AuthenticatedHttpRequest, context: dict) -> HttpResponse:
    template = f"{TEMPLATE}#interaction-form" if request.htmx else TEMPLATE
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def interaction_new(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    account = account_for_user(request.user, account_id, write=True)
    if account.status != AccountStatus.ACTIVE:
        # Its page says so and offers no form; this is a page opened before the loss was
        # recorded, or an old link.
        back = "reopens" if account.status == AccountStatus.LOST else "unarchives"
        messages.error(
            request,
            f"{account.name} is {account.get_status_display().lower()}: "
            f"a sales lead {back} it first.",
        )
        if request.htmx:
            return HttpResponseClientRedirect(reverse("account-detail", args=[account.pk]))
        return redirect("account-detail", account.pk)
    if request.htmx and request.GET.get("cancel"):
        return render(request, f"{TEMPLATE}#log-closed", {"account_id": account.pk})
    signal_types = selectors.signal_types_for_form()
    form = InteractionForm(
        request.POST if request.method == "POST" else None,
        account=account,
        signal_types=signal_types,
    )
    if request.method == "POST" and form.is_valid():
        _, change = use_cases.interaction_log(
            account=account, actor=request.user, data=form.to_input()
        )
        return _done(request, account.pk, f"Logged — {change.summary}.")
    return _form_page(request, {"account": account, "form": form, "interaction": None})


@login_required
@require_http_methods(["GET", "POST"])
def interaction_edit(request: AuthenticatedHttpRequest, interaction_id: int) -> HttpResponse:
    interaction = _interaction_for(request, interaction_id)
    account = interaction.account
    signal_types = selectors.signal_types_for_form(keep=interaction.signals.values("signal_type"))
    form = InteractionForm(
        request.POST if request.method == "POST" else None,
        instance=interaction,
        account=account,
        signal_types=signal_types,
        initial={"version": services.interaction_version(interaction)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            _, change = use_cases.interaction_update(
                interaction=interaction,
                actor=request.user,
                data=form.to_input(),
                seen_version=form.cleaned_data["version"],
            )
        except StaleEntry as stale:
            form.add_error(None, str(stale))
        else:
            return _done(request, account.pk, f"Saved — {change.summary}.")
    return _form_page(request, {"account": account, "form": form, "interaction": interaction})


@login_required
@require_http_methods(["GET", "POST"])
def interaction_delete(request: AuthenticatedHttpRequest, interaction_id: int) -> HttpResponse:
    """GET asks first; POST deletes, with an undo for a while."""
    interaction = _interaction_for(request, interaction_id)
    account = interaction.account
    if request.method == "POST":
        entry, change = use_cases.interaction_delete(interaction=interaction, actor=request.user)
        minutes = int(selectors.UNDO_WINDOW.total_seconds() // 60)
        note = f"Deleted {entry.summary} — {change.summary}."
        if not request.htmx:
            note += f" You can undo it from the change history for {minutes} minutes."
        return _done(request, account.pk, note, undo_entry=entry)
    template = f"{TEMPLATE}#delete-confirm" if request.htmx else TEMPLATE
    return render(
        request,
        template,
        {"account": account, "interaction": interaction, "confirm_delete": True},
    )


def _change_undo(request: AuthenticatedHttpRequest, entry: AuditEntry) -> HttpResponse:
    """Undo an edit of the account record or of a contact; the whole page reloads, since a
    change of status changes what it offers."""
    if entry.subject == "account":
        account_for_user(request.user, entry.account_id, details=True)
    else:
        account_for_user(request.user, entry.account_id, write=True)
    try:
        if entry.subject == "account":
            use_cases.account_change_undo(entry=entry, actor=request.user)
        else:
            services.contact_change_undo(entry=entry, actor=request.user)
    except UndoUnavailable as unavailable:
        messages.error(request, str(unavailable))
    else:
        messages.success(request, f"Undone: {entry.summary}.")
    url = reverse("account-detail", args=[entry.account_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_POST
def interaction_undo(request: AuthenticatedHttpRequest, entry_id: int) -> HttpResponse:
    try:
        entry = AuditEntry.objects.select_related("account").get(
            pk=entry_id, account__in=accounts_visible_to(request.user)
        )
    except AuditEntry.DoesNotExist:
        raise Http404("No such change.") from None
    if entry.subject in ("account", "contact") and entry.action != AuditAction.DELETED:
        return _change_undo(request, entry)
    account_for_user(request.user, entry.account_id, write=True)
    try:
        _, change = use_cases.interaction_restore(entry=entry, actor=request.user)
    except UndoUnavailable as unavailable:
        if request.htmx:
            response = HttpResponse(
                format_html('<p class="error" role="alert">{}</p>', unavailable)
            )
            return reswap(retarget(response, "#log-panel"), "innerHTML")
        messages.error(request, str(unavailable))
        return redirect("account-detail", entry.account_id)
    return _done(request, entry.account_id, f"Restored {entry.summary} — {change.summary}.")
