"""Writes of the account record itself: a sales lead opens an account, its details (name,
industry, owner, revenue, partnership potential, external id, the client's email domains) are
edited, and the account is closed (lost, archived) or comes back (won back, unarchived).

Every change records one entry in the account's change history, in the same transaction, with
the account as it was before and after, so the person who made it can undo it for a while
(`account_change_undo`), as long as nobody changed the account since. The email domains follow
the account's status: only an active account holds its domains (`AccountDomain.claimed`).
This app does not know scores exist: scoring/use_cases.py rescores after a change of status.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import (
    Account,
    AccountDomain,
    AccountStatus,
    LostReason,
    PartnershipPotential,
    normalise_domain,
)
from accounts.selectors import domains_claimed_elsewhere
from relationships.history import person_name
from relationships.models import AuditAction, AuditEntry
from relationships.selectors import UNDO_WINDOW, undoable
from relationships.services import UndoUnavailable, account_lock
from relationships.webhook_events import account_lost_data
from webhooks import events, outbox

# The account's fields a change may touch, with the words the change history uses.
LABELS = {
    "name": "name",
    "industry": "industry",
    "owner_id": "owner",
    "annual_revenue": "annual revenue",
    "partnership_potential": "partnership potential",
    "external_id": "external id",
    "domains": "email domains",
    "status": "status",
    "lost_on": "lost on",
    "lost_reason": "why it was lost",
    "lost_note": "about the loss",
}


@dataclass(frozen=True)
class AccountDetails:
    """What a sales lead enters for an account (a manager: all but the owner)."""

    name: str
    industry: str
    owner: User
    annual_revenue: Decimal
    partnership_potential: str
    external_id: str = ""
    domains: tuple[str, ...] = ()


def _state(account: Account) -> dict[str, Any]:
    """The account as a change records it (JSON): what undo compares and puts back."""
    return {
        "name": account.name,
        "industry": account.industry,
        "owner_id": account.owner_id,
        "annual_revenue": f"{Decimal(account.annual_revenue):.2f}",
        "partnership_potential": account.partnership_potential,
        "external_id": account.external_id,
        "domains": sorted(account.domains.values_list("domain", flat=True)),
        "status": account.status,
        "lost_on": account.lost_on.isoformat() if account.lost_on else None,
        "lost_reason": account.lost_reason,
        "lost_note": account.lost_note,
    }


def _words(key: str, value: Any) -> str:
    """One recorded value as the change history shows it."""
    if value is None or value == "":
        return ""
    if key == "owner_id":
        owner = User.objects.filter(pk=value).first()
        return person_name(owner) if owner else f"user {value}"
    if key == "domains":
        return ", ".join(value)
    if key == "partnership_potential":
        return PartnershipPotential(value).label
    if key == "status":
        return AccountStatus(value).label
    if key == "lost_reason":
        return LostReason(value).label
    if key == "annual_revenue":
        return f"{Decimal(value):,.0f}"
    return str(value)


def _differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    return {
        LABELS[key]: [_words(key, before[key]), _words(key, after[key])]
        for key in LABELS
        if before[key] != after[key]
    }


def _record(
    account: Account,
    actor: User | None,
    summary: str,
    before: dict[str, Any],
    *,
    action: str = AuditAction.EDITED,
) -> AuditEntry | None:
    """The change-history entry of a change from `before` to the account as it is now, with
    what undo needs; None when nothing changed."""
    after = _state(account)
    changes = _differences(before, after)
    if not changes:
        return None
    return AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=action,
        subject="account",
        subject_id=account.pk,
        summary=summary,
        changes=changes,
        restorable={"before": before, "after": after} if action == AuditAction.EDITED else None,
    )


def _saved(account: Account) -> None:
    """Check and save the account; a clash the checks could not see (two people saving the
    same external id at once) is a validation error, not a server error."""
    if (
        account.external_id
        and Account.objects.filter(external_id=account.external_id).exclude(pk=account.pk).exists()
    ):
        raise ValidationError({"external_id": "Another account already has this external id."})
    account.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as clash:
        raise ValidationError(
            "Someone saved a clashing account at the same moment; check and save again."
        ) from clash


def _set_domains(account: Account, domains: Iterable[str]) -> None:
    """Make the account's email domains exactly `domains`, each held by it if it is active.
    A domain an active account already holds is refused (ValidationError on `domains`)."""
    wanted = sorted({normalise_domain(domain) for domain in domains if domain.strip()})
    for domain in wanted:
        AccountDomain(account=account, domain=domain).clean_fields(exclude=["account"])
    if account.status == AccountStatus.ACTIVE:
        taken = domains_claimed_elsewhere(wanted, account_id=account.pk)
        if taken:
            raise ValidationError(
                {
                    "domains": [
                        f"{domain} is already the domain of {name}." for domain, name in taken
                    ]
                }
            )
    account.domains.exclude(domain__in=wanted).delete()
    present = set(account.domains.values_list("domain", flat=True))
    try:
        with transaction.atomic():
            AccountDomain.objects.bulk_create(
                AccountDomain(
                    account=account, domain=domain, claimed=account.status == AccountStatus.ACTIVE
                )
                for domain in wanted
                if domain not in present
            )
    except IntegrityError as clash:
        raise ValidationError(
            {"domains": "Another account took one of these domains just now; check and save again."}
        ) from clash


def _claim_domains(account: Account) -> list[str]:
    """An account becoming active takes its domains back, except those another active account
    took meanwhile: those are let go, and returned."""
    domains = list(account.domains.all())
    taken = {
        domain
        for domain, _ in domains_claimed_elsewhere(
            [d.domain for d in domains], account_id=account.pk
        )
    }
    account.domains.filter(domain__in=taken).delete()
    account.domains.exclude(domain__in=taken).update(claimed=True)
    return sorted(taken)


@transaction.atomic
def account_create(*, details: AccountDetails, actor: User) -> Account:
    """Open a new, active account, recorded in its change history."""
    account = Account(
        name=details.name.strip(),
        industry=details.industry.strip(),
        owner=details.owner,
        annual_revenue=details.annual_revenue,
        partnership_potential=details.partnership_potential,
        external_id=details.external_id.strip(),
    )
    _saved(account)
    _set_domains(account, details.domains)
    after = _state(account)
    opening_facts = ("name", "industry", "owner_id", "annual_revenue", "partnership_potential")
    AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction.CREATED,
        subject="account",
        subject_id=account.pk,
        summary=f"Account opened: {account.name}, managed by {person_name(details.owner)}",
        changes={
            LABELS[key]: ["", _words(key, after[key])]
            for key in (*opening_facts, "external_id", "domains")
            if after[key] not in ("", [])
        },
    )
    return account


@transaction.atomic
def account_details_update(*, account: Account, actor: User, details: AccountDetails) -> Account:
    """Change the account's details and email domains. Who may change the owner is the page's
    call (accounts/access.py): a manager's form passes the owner unchanged."""
    account_lock(account.pk)
    account.refresh_from_db()
    before = _state(account)
    account.name = details.name.strip()
    account.industry = details.industry.strip()
    account.owner = details.owner
    account.annual_revenue = details.annual_revenue
    account.partnership_potential = details.partnership_potential
    account.external_id = details.external_id.strip()
    _saved(account)
    _set_domains(account, details.domains)
    changes = _differences(before, _state(account))
    _record(account, actor, "Account details: " + ", ".join(changes) + " changed", before)
    return account


@transaction.atomic
def account_mark_lost(
    *, account: Account, actor: User, lost_on: datetime.date, reason: str, note: str = ""
) -> Account:
    """Close an active account as lost: it leaves the active views and lets its domains go;
    its history, exports and the backtest keep it."""
    account_lock(account.pk)
    account.refresh_from_db()
    if account.status != AccountStatus.ACTIVE:
        raise ValidationError("Only an active account can be marked lost.")
    before = _state(account)
    account.status = AccountStatus.LOST
    account.lost_on, account.lost_reason, account.lost_note = lost_on, reason, note.strip()
    _saved(account)
    account.domains.update(claimed=False)
    _record(
        account,
        actor,
        f"Marked lost on {lost_on:%d %b %Y}: {LostReason(reason).label}",
        before,
    )
    outbox.event_emit(kind=events.ACCOUNT_LOST, payload=account_lost_data(account))
    return account


@transaction.atomic
def account_win_back(*, account: Account, actor: User) -> tuple[Account, list[str]]:
    """A lost account whose client came back becomes active again; its change history keeps
    the loss. Returns the account and the domains another account took meanwhile (let go)."""
    account_lock(account.pk)
    account.refresh_from_db()
    if account.status != AccountStatus.LOST:
        return account, []
    before = _state(account)
    lost_on = account.lost_on
    assert lost_on is not None  # a lost account has its date (the model's check constraint)
    was = f"lost on {lost_on.day} {lost_on:%b %Y}"
    if account.lost_reason:
        was += f" ({account.get_lost_reason_display()})"
    if account.lost_note:
        was += f": {account.lost_note}"
    account.status = AccountStatus.ACTIVE
    account.lost_on, account.lost_reason, account.lost_note = None, "", ""
    _saved(account)
    let_go = _claim_domains(account)
    _record(account, actor, f"Reopened: was {was}", before)
    return account, let_go


@transaction.atomic
def account_archive(*, account: Account, actor: User) -> Account:
    """Put an account away (a duplicate, a client long gone): out of every active view, its
    domains free; a lost account keeps its loss."""
    account_lock(account.pk)
    account.refresh_from_db()
    if account.status == AccountStatus.ARCHIVED:
        return account
    before = _state(account)
    account.status = AccountStatus.ARCHIVED
    _saved(account)
    account.domains.update(claimed=False)
    _record(account, actor, "Archived", before)
    return account


@transaction.atomic
def account_unarchive(*, account: Account, actor: User) -> tuple[Account, list[str]]:
    """Bring an archived account back as it was: lost if it had a loss, otherwise active
    (taking back the domains nobody took meanwhile; the others are returned)."""
    account_lock(account.pk)
    account.refresh_from_db()
    if account.status != AccountStatus.ARCHIVED:
        return account, []
    before = _state(account)
    account.status = AccountStatus.LOST if account.lost_on else AccountStatus.ACTIVE
    _saved(account)
    let_go = _claim_domains(account) if account.status == AccountStatus.ACTIVE else []
    _record(account, actor, f"Unarchived: {account.get_status_display().lower()} again", before)
    return account, let_go


def account_undoable(entry: AuditEntry, *, user, now: datetime.datetime | None = None) -> bool:
    """Whether `user` can still undo the account change `entry` records."""
    return (
        entry.subject == "account"
        and entry.action == AuditAction.EDITED
        and undoable(entry, user=user, now=now)
    )


@transaction.atomic
def account_change_undo(
    *, entry: AuditEntry, actor: User, now: datetime.datetime | None = None
) -> Account:
    """Put the account back as it was before the change `entry` records: for the person who
    made it, within the undo window, and only if nobody changed the account since."""
    account_lock(entry.account_id)
    entry = AuditEntry.objects.select_for_update().get(pk=entry.pk)
    if not account_undoable(entry, user=actor, now=now):
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise UndoUnavailable(
            f"Only the person who made a change can undo it, within {minutes} minutes, once."
        )
    account = Account.objects.get(pk=entry.account_id)
    assert entry.restorable is not None  # account_undoable says so
    before, after = entry.restorable["before"], entry.restorable["after"]
    if _state(account) != after:
        raise UndoUnavailable("The account changed since; undo the later change first.")
    account.name, account.industry = before["name"], before["industry"]
    account.owner_id = before["owner_id"]
    account.annual_revenue = Decimal(before["annual_revenue"])
    account.partnership_potential = before["partnership_potential"]
    account.external_id = before["external_id"]
    account.status = before["status"]
    account.lost_on = datetime.date.fromisoformat(before["lost_on"]) if before["lost_on"] else None
    account.lost_reason, account.lost_note = before["lost_reason"], before["lost_note"]
    try:
        _saved(account)
        account.domains.all().delete()
        _set_domains(account, before["domains"])
    except ValidationError as refused:
        raise UndoUnavailable("It cannot be undone: " + "; ".join(refused.messages)) from refused
    if account.status != AccountStatus.ACTIVE:
        account.domains.update(claimed=False)
    entry.restorable = None
    entry.save(update_fields=["restorable"])
    _record(account, actor, f"Undone: {entry.summary}", after, action=AuditAction.RESTORED)
    if account.status == AccountStatus.LOST and after["status"] == AccountStatus.ACTIVE:
        # Undoing a win-back loses the account again, as far as anyone outside can tell.
        outbox.event_emit(kind=events.ACCOUNT_LOST, payload=account_lost_data(account))
    return account
