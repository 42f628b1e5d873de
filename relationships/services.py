"""Writes of evidence: logging, editing, deleting and restoring interactions, and account facts.

Every write records an audit entry (who, when, what changed) in the same transaction. This app
does not know scores exist: scoring/use_cases.py wraps these writes to rescore the account and
say what the entry did to its standing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account
from relationships.history import account_edit_entry
from relationships.models import (
    Assessment,
    AuditAction,
    AuditEntry,
    Contact,
    ContactRole,
    ExternalPressure,
    Interaction,
    SignalType,
    TrustSignal,
)
from relationships.selectors import UNDO_WINDOW
from relationships.webhook_events import interaction_created_data
from webhooks import events, outbox


class StaleEntry(Exception):
    """The entry changed since the user opened it; saving would overwrite someone's edit."""


class UndoUnavailable(Exception):
    """The deletion can no longer be undone (too late, already undone, or not yours)."""


@dataclass(frozen=True)
class NewContact:
    name: str
    title: str = ""


@dataclass(frozen=True)
class InteractionInput:
    """What the user entered for an interaction."""

    occurred_on: datetime.date
    kind: str
    initiated_by_client: bool = False
    notes: str = ""
    sentiment: int | None = None
    participants: Sequence[Contact] = ()
    new_contact: NewContact | None = None
    signal_types: Sequence[SignalType] = ()


# Interactions -------------------------------------------------------------------------------


def _readable(interaction: Interaction) -> dict[str, str]:
    """The interaction as the user sees it, for audit diffs."""
    sentiment = interaction.sentiment
    return {
        "date": interaction.occurred_on.isoformat(),
        "kind": interaction.get_kind_display(),
        "client initiated": "yes" if interaction.initiated_by_client else "no",
        "notes": interaction.notes,
        "sentiment": "" if sentiment is None else f"{sentiment:+d}",
        "participants": ", ".join(sorted(c.name for c in interaction.participants.all())),
        "signals": ", ".join(
            sorted(signal.signal_type.name for signal in interaction.signals.all())
        ),
    }


def _summary(interaction: Interaction) -> str:
    signals = interaction.signals.count()
    counted = f", {signals} signal{'s' if signals != 1 else ''}" if signals else ""
    return f"{interaction.get_kind_display()} on {interaction.occurred_on:%d %b %Y}{counted}"


def _participants(account: Account, data: InteractionInput) -> list[Contact]:
    people = list(data.participants)
    if data.new_contact is not None:
        people.append(
            Contact.objects.create(
                account=account, name=data.new_contact.name, title=data.new_contact.title
            )
        )
    return people


def account_lock(account_id: int) -> None:
    # Writes to one account queue up behind each other, so two managers logging at the same
    # moment both land and the rescore of each sees the other's entry.
    Account.objects.select_for_update(no_key=True).filter(pk=account_id).exists()


@transaction.atomic
def interaction_log(*, account: Account, actor: User, data: InteractionInput) -> Interaction:
    """Log an interaction with the signals observed in it."""
    account_lock(account.pk)
    interaction = Interaction(
        account=account,
        occurred_on=data.occurred_on,
        kind=data.kind,
        initiated_by_client=data.initiated_by_client,
        notes=data.notes,
        sentiment=data.sentiment,
        logged_by=actor,
    )
    interaction.full_clean()
    interaction.save()
    participants = _participants(account, data)
    interaction.participants.set(participants)
    TrustSignal.objects.bulk_create(
        TrustSignal(
            account=account,
            signal_type=signal_type,
            observed_on=data.occurred_on,
            interaction=interaction,
            logged_by=actor,
        )
        for signal_type in data.signal_types
    )
    AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction.CREATED,
        subject="interaction",
        subject_id=interaction.pk,
        summary=_summary(interaction),
        changes={key: ["", value] for key, value in _readable(interaction).items() if value},
    )
    outbox.event_emit(
        kind=events.INTERACTION_CREATED,
        payload=interaction_created_data(
            interaction=interaction,
            account=account,
            signal_slugs=[signal_type.slug for signal_type in data.signal_types],
            participants=participants,
            logged_by=actor,
        ),
    )
    return interaction


def interaction_version(interaction: Interaction) -> str:
    """A token for the state the user saw; a save with an older token is refused."""
    return interaction.updated_at.isoformat()


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    actor: User,
    data: InteractionInput,
    seen_version: str,
) -> Interaction:
    """Change an interaction, unless someone else changed it since `seen_version`."""
    account = interaction.account
    account_lock(account.pk)
    current = Interaction.objects.select_for_update().filter(pk=interaction.pk).first()
    if current is None:
        raise StaleEntry("This entry was deleted meanwhile.")
    if interaction_version(current) != seen_version:
        by = current.logged_by
        raise StaleEntry(
            "This entry was changed by someone else since you opened it"
            + (f" ({by.get_full_name() or by.username})" if by else "")
            + ". Reopen it to see their version, then make your change again."
        )
    old = _readable(current)
    current.occurred_on = data.occurred_on
    current.kind = data.kind
    current.initiated_by_client = data.initiated_by_client
    current.notes = data.notes
    current.sentiment = data.sentiment
    current.full_clean()
    current.save()
    current.participants.set(_participants(account, data))
    wanted = {signal_type.pk: signal_type for signal_type in data.signal_types}
    kept = current.signals.filter(signal_type_id__in=wanted)
    current.signals.exclude(signal_type_id__in=wanted).delete()
    kept.exclude(observed_on=data.occurred_on).update(observed_on=data.occurred_on)
    present = set(kept.values_list("signal_type_id", flat=True))
    TrustSignal.objects.bulk_create(
        TrustSignal(
            account=account,
            signal_type=signal_type,
            observed_on=data.occurred_on,
            interaction=current,
            logged_by=actor,
        )
        for pk, signal_type in wanted.items()
        if pk not in present
    )
    new = _readable(current)
    changes = {key: [old[key], new[key]] for key in new if old[key] != new[key]}
    AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction.EDITED,
        subject="interaction",
        subject_id=current.pk,
        summary=_summary(current) + (f": {', '.join(changes)} changed" if changes else ""),
        changes=changes,
    )
    return current


@transaction.atomic
def interaction_delete(*, interaction: Interaction, actor: User) -> AuditEntry:
    """Delete an interaction and its signals, keeping all of it in the audit entry for undo."""
    account = interaction.account
    account_lock(account.pk)
    restorable = {
        "id": interaction.pk,
        "occurred_on": interaction.occurred_on.isoformat(),
        "kind": interaction.kind,
        "initiated_by_client": interaction.initiated_by_client,
        "notes": interaction.notes,
        "sentiment": interaction.sentiment,
        "external_id": interaction.external_id,
        "logged_by_id": interaction.logged_by_id,
        "participant_ids": sorted(interaction.participants.values_list("pk", flat=True)),
        "signals": [
            [signal.pk, signal.signal_type_id, signal.note, signal.logged_by_id]
            for signal in interaction.signals.all()
        ],
    }
    entry = AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction.DELETED,
        subject="interaction",
        subject_id=interaction.pk,
        summary=_summary(interaction),
        changes={key: [value, ""] for key, value in _readable(interaction).items() if value},
        restorable=restorable,
    )
    interaction.delete()
    return entry


@transaction.atomic
def interaction_restore(
    *, entry: AuditEntry, actor: User, now: datetime.datetime | None = None
) -> Interaction:
    """Undo a deletion: the interaction comes back with its id, participants and signals."""
    account_lock(entry.account_id)
    entry = AuditEntry.objects.select_for_update().get(pk=entry.pk)
    now = now or timezone.now()
    if entry.action != AuditAction.DELETED or entry.restorable is None:
        raise UndoUnavailable("There is nothing to undo here.")
    if entry.actor_id != actor.pk:
        raise UndoUnavailable("Only the person who deleted the entry can undo it.")
    if now - entry.at > UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise UndoUnavailable(f"Deletions can be undone for {minutes} minutes; this one is older.")
    saved: dict[str, Any] = entry.restorable
    if Interaction.objects.filter(pk=saved["id"]).exists():
        raise UndoUnavailable("This entry is already back.")
    interaction = Interaction.objects.create(
        pk=saved["id"],
        account_id=entry.account_id,
        occurred_on=datetime.date.fromisoformat(saved["occurred_on"]),
        kind=saved["kind"],
        initiated_by_client=saved["initiated_by_client"],
        notes=saved["notes"],
        sentiment=saved["sentiment"],
        external_id=saved["external_id"],
        logged_by_id=saved["logged_by_id"],
    )
    interaction.participants.set(
        Contact.objects.filter(account_id=entry.account_id, pk__in=saved["participant_ids"])
    )
    existing_types = set(
        SignalType.objects.filter(pk__in=[s[1] for s in saved["signals"]]).values_list(
            "pk", flat=True
        )
    )
    TrustSignal.objects.bulk_create(
        TrustSignal(
            pk=pk,
            account_id=entry.account_id,
            signal_type_id=type_id,
            observed_on=interaction.occurred_on,
            interaction=interaction,
            note=note,
            logged_by_id=logged_by_id,
        )
        for pk, type_id, note, logged_by_id in saved["signals"]
        if type_id in existing_types
    )
    entry.restorable = None
    entry.save(update_fields=["restorable"])
    AuditEntry.objects.create(
        account_id=entry.account_id,
        actor=actor,
        action=AuditAction.RESTORED,
        subject="interaction",
        subject_id=interaction.pk,
        summary=_summary(interaction),
    )
    return interaction


# Account facts ------------------------------------------------------------------------------


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


@transaction.atomic
def account_facts_update(
    *,
    account: Account,
    actor: User,
    mission: str,
    partnership_potential: str,
    pressures: Iterable[str],
    objective: str = "",
    next_step: str = "",
    next_step_due: datetime.date | None = None,
) -> Account:
    """Change what we know of the client's world (its mission, its external pressures,
    whether it could become a partner) and our plan for the relationship (the objective, the
    next step and when it is due)."""
    account_lock(account.pk)
    account.refresh_from_db()
    old_pressures = list(account.pressures.values_list("description", flat=True))
    new_pressures = [p.strip() for p in pressures if p.strip()]
    changes: dict[str, list[str]] = {}
    if account.mission != mission:
        changes["mission"] = [account.mission, mission]
    if account.partnership_potential != partnership_potential:
        old_label = account.get_partnership_potential_display()
        account.partnership_potential = partnership_potential
        changes["partnership potential"] = [old_label, account.get_partnership_potential_display()]
    account.mission = mission
    for name, label, value in (
        ("objective", "objective", objective),
        ("next_step", "next step", next_step),
    ):
        if getattr(account, name) != value:
            changes[label] = [getattr(account, name), value]
            setattr(account, name, value)
    if account.next_step_due != next_step_due:
        changes["next step due"] = [_day(account.next_step_due), _day(next_step_due)]
        account.next_step_due = next_step_due
    account.full_clean()
    account.save()
    if old_pressures != new_pressures:
        changes["external pressures"] = ["; ".join(old_pressures), "; ".join(new_pressures)]
        account.pressures.all().delete()
        ExternalPressure.objects.bulk_create(
            ExternalPressure(account=account, description=text) for text in new_pressures
        )
    if changes:
        account_edit_entry(
            account=account,
            actor=actor,
            summary="Account facts: " + ", ".join(changes) + " changed",
            changes=changes,
        ).save()
    return account


@transaction.atomic
def assessment_record(
    *,
    account: Account,
    actor: User,
    relevance: int,
    client_perceived_stage: str,
    note: str = "",
    assessed_on: datetime.date | None = None,
) -> Assessment:
    """Record today's reading of business relevance and the client's view of the stage (one
    per day: a second reading the same day replaces the first)."""
    account_lock(account.pk)
    assessed_on = assessed_on or timezone.localdate()
    assessment, created = Assessment.objects.update_or_create(
        account=account,
        assessed_on=assessed_on,
        defaults={
            "relevance": relevance,
            "client_perceived_stage": client_perceived_stage,
            "note": note,
            "assessed_by": actor,
        },
    )
    perceived = assessment.get_client_perceived_stage_display() or "not known"
    AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction.CREATED if created else AuditAction.EDITED,
        subject="assessment",
        subject_id=assessment.pk,
        summary=f"Assessment: relevance {relevance} of 5, client sees us as {perceived}",
        changes={"relevance": ["", str(relevance)], "client-perceived stage": ["", perceived]},
    )
    return assessment


@dataclass(frozen=True)
class ContactDetails:
    """What the user enters for a contact."""

    name: str
    title: str = ""
    email: str = ""
    phone: str = ""
    role: str = ContactRole.USER
    is_champion: bool = False
    reports_to: Contact | None = None


def contact_state(contact: Contact) -> dict[str, Any]:
    """The contact's editable fields as its history records them (the manager as
    `reports_to_id`, the key kept in stored undo entries)."""
    return {
        "name": contact.name,
        "title": contact.title,
        "email": contact.email,
        "phone": contact.phone,
        "role": contact.role,
        "is_champion": contact.is_champion,
        "reports_to_id": contact.reports_to_id,
    }


def _contact_words(state: dict[str, Any]) -> dict[str, str]:
    """A contact as the change history shows it."""
    manager = (
        Contact.objects.filter(pk=state["reports_to_id"]).values_list("name", flat=True).first()
        if state["reports_to_id"]
        else None
    )
    return {
        "name": state["name"],
        "title": state["title"],
        "email": state["email"],
        "phone": state["phone"],
        "role": ContactRole(state["role"]).label,
        "champion": "yes" if state["is_champion"] else "no",
        "reports to": manager or "",
    }


def _contact_saved(contact: Contact, details: ContactDetails) -> Contact:
    """Set, check and save the contact; a duplicate email at the client is refused by field."""
    contact.name, contact.title = details.name.strip(), details.title.strip()
    contact.email, contact.phone = details.email.strip(), details.phone.strip()
    contact.role, contact.is_champion = details.role, details.is_champion
    contact.reports_to = details.reports_to
    if (
        contact.email
        and Contact.objects.filter(account_id=contact.account_id, email__iexact=contact.email)
        .exclude(pk=contact.pk)
        .exists()
    ):
        raise ValidationError(
            {"email": "Someone at this client already has this email address."},
            code="duplicate_email",
        )
    contact.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as clash:
        raise ValidationError(
            {"email": "Someone at this client was saved with this email address just now."}
        ) from clash
    return contact


@transaction.atomic
def contact_add(*, account: Account, actor: User, details: ContactDetails) -> Contact:
    """Add a person at the client, recorded in the account's history."""
    account_lock(account.pk)
    contact = _contact_saved(Contact(account=account), details)
    words = _contact_words(contact_state(contact))
    AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction.CREATED,
        subject="contact",
        subject_id=contact.pk,
        summary=f"Contact added: {contact.name}" + (f", {contact.title}" if contact.title else ""),
        changes={key: ["", value] for key, value in words.items() if value and value != "no"},
        # Undo takes the person out again while nothing refers to them.
        restorable={"added": contact.pk},
    )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor: User, details: ContactDetails) -> Contact:
    """Change what we know of a person at the client; undoable by whoever did it."""
    account_lock(contact.account_id)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    before = contact_state(contact)
    _contact_saved(contact, details)
    after = contact_state(contact)
    old, new = _contact_words(before), _contact_words(after)
    changes = {key: [old[key], new[key]] for key in new if old[key] != new[key]}
    if changes:
        AuditEntry.objects.create(
            account_id=contact.account_id,
            actor=actor,
            action=AuditAction.EDITED,
            subject="contact",
            subject_id=contact.pk,
            summary=f"Contact {contact.name}: {', '.join(changes)} changed",
            changes=changes,
            restorable={"before": before, "after": after},
        )
    return contact


def _contact_add_undo(entry: AuditEntry, contact: Contact | None, actor: User) -> Contact:
    """Take out a person added by mistake, while no interaction names them and nobody reports
    to them."""
    if contact is None:
        raise UndoUnavailable("This contact is gone already.")
    if contact.interactions.exists() or contact.reports.exists() or contact.left_on:
        raise UndoUnavailable(
            f"{contact.name} is in the account's history now (a meeting, a report, a departure); "
            "edit them instead."
        )
    _contact_undone(
        entry, actor, contact, {key: [value, ""] for key, (_, value) in entry.changes.items()}
    )
    contact.delete()
    return contact


def _contact_undone(entry: AuditEntry, actor: User, contact: Contact, changes: dict) -> None:
    """The edit `entry` records is undone: it cannot be undone again, and the history says
    who undid it and what came back."""
    entry.restorable = None
    entry.save(update_fields=["restorable"])
    AuditEntry.objects.create(
        account_id=entry.account_id,
        actor=actor,
        action=AuditAction.RESTORED,
        subject="contact",
        subject_id=contact.pk,
        summary=f"Undone: {entry.summary}",
        changes=changes,
    )


@transaction.atomic
def contact_change_undo(
    *, entry: AuditEntry, actor: User, now: datetime.datetime | None = None
) -> Contact:
    """Put a contact back as it was before the edit `entry` records (the person who made it,
    within the undo window, if nobody changed the contact since)."""
    account_lock(entry.account_id)
    entry = AuditEntry.objects.select_for_update().get(pk=entry.pk)
    now = now or timezone.now()
    saved = entry.restorable or {}
    if not (
        entry.subject == "contact"
        and entry.action in (AuditAction.EDITED, AuditAction.CREATED)
        and ("before" in saved or "added" in saved)
        and entry.actor_id == actor.pk
        and now - entry.at <= UNDO_WINDOW
    ):
        raise UndoUnavailable("Only the person who made a change can undo it, for a while, once.")
    contact = Contact.objects.filter(pk=entry.subject_id or 0, account_id=entry.account_id).first()
    if "added" in saved:
        return _contact_add_undo(entry, contact, actor)
    if contact is None or contact_state(contact) != saved["after"]:
        raise UndoUnavailable("The contact changed since; undo the later change first.")
    before = saved["before"]
    manager = Contact.objects.filter(
        pk=before["reports_to_id"], account_id=entry.account_id
    ).first()
    try:
        _contact_saved(
            contact,
            ContactDetails(
                **{key: before[key] for key in before if key != "reports_to_id"},
                reports_to=manager,
            ),
        )
    except ValidationError as refused:
        raise UndoUnavailable("It cannot be undone: " + "; ".join(refused.messages)) from refused
    _contact_undone(
        entry, actor, contact, {key: [new, old] for key, (old, new) in entry.changes.items()}
    )
    return contact


# Losing the champion or the executive sponsor raises decline risk (docs/model.md, Decline risk):
# marking one as gone records the catalog's "Champion left" signal on that day, unless one was
# already logged within this many days of it (at the meeting where the news came, say).
SPONSOR_GONE_SIGNAL = "champion_left"
SPONSOR_GONE_SAME_NEWS_DAYS = 14


def _sponsor_gone(contact: Contact, actor: User, left_on: datetime.date) -> TrustSignal | None:
    """The signal recorded for a champion or sponsor leaving on `left_on`, or None when none
    is due."""
    if not (contact.is_champion or contact.role == ContactRole.EXECUTIVE_SPONSOR):
        return None
    signal_type = SignalType.objects.filter(slug=SPONSOR_GONE_SIGNAL, is_active=True).first()
    if signal_type is None:  # retired, or not in this catalog: the admins' call
        return None
    window = datetime.timedelta(days=SPONSOR_GONE_SAME_NEWS_DAYS)
    if TrustSignal.objects.filter(
        account_id=contact.account_id,
        signal_type=signal_type,
        observed_on__range=(left_on - window, left_on + window),
    ).exists():
        return None
    who = "champion" if contact.is_champion else "executive sponsor"
    title = f", {contact.title}" if contact.title else ""
    return TrustSignal.objects.create(
        account_id=contact.account_id,
        signal_type=signal_type,
        observed_on=left_on,
        note=f"{contact.name}{title}, our {who}, left the client.",
        logged_by=actor,
    )


@transaction.atomic
def contact_left(
    *, contact: Contact, actor: User, left_on: datetime.date
) -> tuple[Contact, TrustSignal | None]:
    """Mark a contact as gone from the client. For a champion or the executive sponsor that
    is a warning sign: the signal recorded for it is returned (None otherwise)."""
    account = contact.account
    account_lock(account.pk)
    contact.left_on = left_on
    contact.full_clean()
    contact.save(update_fields=["left_on"])
    signal = _sponsor_gone(contact, actor, left_on)
    summary = f"{contact.name} left the client on {left_on:%d %b %Y}"
    if signal is not None:
        summary += f" ({signal.signal_type.name} recorded)"
    AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction.EDITED,
        subject="contact",
        subject_id=contact.pk,
        summary=summary,
        changes={"left on": ["", left_on.isoformat()]},
    )
    return contact, signal
