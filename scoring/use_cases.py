"""What people do to an account's evidence, and what it did to the account's standing.

Each use case writes through the evidence app (relationships/services.py and its CSV import),
rescores what the write touched in the same transaction, and, for one account, says what
changed in the user's words ("score 54 → 58, still consultant; risk 31 → 24"). Pages, the
import command and the coming API call these, never the evidence writes directly.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from relationships import account_record, services
from relationships.capture import services as capture
from relationships.capture.models import CapturedItem
from relationships.csv_bundle import importer
from relationships.models import Assessment, AuditEntry, Contact, Interaction, SignalType
from scoring.services import (
    account_rescore_now,
    forget_pending_rescores,
    profiles_being_scored,
    scores_recompute,
)
from scoring.standing_lines import lines_refresh
from scoring.standings import Standing, standing_of

Written = TypeVar("Written")


@dataclass(frozen=True)
class StandingChange:
    """The account's standing before and after a write, in words for the user."""

    before: Standing | None
    after: Standing | None
    summary: str


def describe_change(before: Standing | None, after: Standing | None) -> str:
    """ "score 54 → 58, still consultant; risk 31 → 24", in the user's terms."""
    if after is None:
        return "The account has no score yet."
    if before is None:
        return (
            f"First score: {after.score:.0f}, {after.stage.label.lower()}; "
            f"risk {after.decline_risk:.0f}."
        )
    score = f"score {before.score:.0f} → {after.score:.0f}"
    if after.stage == before.stage:
        stage = f"still {after.stage.label.lower()}"
    else:
        direction = "up" if after.stage > before.stage else "down"
        stage = f"{direction} to {after.stage.label.lower()}"
    risk = f"risk {before.decline_risk:.0f} → {after.decline_risk:.0f}"
    return f"{score}, {stage}; {risk}"


def _rescored(
    account_id: int, write: Callable[[], Written], *, when: Callable[[Written], bool] | None = None
) -> tuple[Written, StandingChange | None]:
    """Run `write` on the account and rescore it, all in one transaction behind the account's
    lock (so two managers logging at once both land, each rescore seeing the other's entry).
    With `when`, rescore only if the write's result asks for it; None then means no change."""
    with transaction.atomic():
        services.account_lock(account_id)
        before = standing_of(account_id)
        written = write()
        if when is not None and not when(written):
            return written, None
        account_rescore_now(account_id=account_id)
        after = standing_of(account_id)
    return written, StandingChange(before, after, describe_change(before, after))


def _changed(result: tuple[Written, StandingChange | None]) -> tuple[Written, StandingChange]:
    written, change = result
    assert change is not None  # rescored unconditionally
    return written, change


def interaction_log(
    *, account: Account, actor: User, data: services.InteractionInput
) -> tuple[Interaction, StandingChange]:
    """Log an interaction with the signals observed in it, and rescore the account."""
    return _changed(
        _rescored(
            account.pk,
            lambda: services.interaction_log(account=account, actor=actor, data=data),
        )
    )


def captured_item_confirm(
    *,
    item: CapturedItem,
    actor: User,
    seen_account_id: int,
    signal_types: Sequence[SignalType] = (),
) -> tuple[Interaction, StandingChange]:
    """Confirm a captured meeting or message: it is logged as an interaction on its account
    (through the same write as a logged meeting) and the account rescored. Refused with
    CaptureUnavailable when the item was handled meanwhile, has no account, or is no longer
    on `seen_account_id` (the account the manager's page showed)."""
    if item.account_id is None:
        raise capture.CaptureUnavailable("Assign it to an account first.")
    return _changed(
        _rescored(
            item.account_id,
            lambda: capture.captured_item_confirm(
                item=item,
                actor=actor,
                seen_account_id=seen_account_id,
                signal_types=signal_types,
            ),
        )
    )


def interaction_update(
    *,
    interaction: Interaction,
    actor: User,
    data: services.InteractionInput,
    seen_version: str,
) -> tuple[Interaction, StandingChange]:
    """Change an interaction (refused with StaleEntry if someone else changed it since
    `seen_version`), and rescore the account."""
    return _changed(
        _rescored(
            interaction.account_id,
            lambda: services.interaction_update(
                interaction=interaction, actor=actor, data=data, seen_version=seen_version
            ),
        )
    )


def interaction_delete(
    *, interaction: Interaction, actor: User
) -> tuple[AuditEntry, StandingChange]:
    """Delete an interaction (undoable for a while from its audit entry), and rescore."""
    return _changed(
        _rescored(
            interaction.account_id,
            lambda: services.interaction_delete(interaction=interaction, actor=actor),
        )
    )


def interaction_restore(
    *, entry: AuditEntry, actor: User, now: datetime.datetime | None = None
) -> tuple[Interaction, StandingChange]:
    """Undo a deletion (refused with UndoUnavailable when it no longer can be), and rescore."""
    return _changed(
        _rescored(
            entry.account_id,
            lambda: services.interaction_restore(entry=entry, actor=actor, now=now),
        )
    )


def assessment_record(
    *,
    account: Account,
    actor: User,
    relevance: int,
    client_perceived_stage: str,
    note: str = "",
    assessed_on: datetime.date | None = None,
) -> tuple[Assessment, StandingChange]:
    """Record a reading of relevance and the client's view of the stage, and rescore."""
    return _changed(
        _rescored(
            account.pk,
            lambda: services.assessment_record(
                account=account,
                actor=actor,
                relevance=relevance,
                client_perceived_stage=client_perceived_stage,
                note=note,
                assessed_on=assessed_on,
            ),
        )
    )


def contact_left(
    *, contact: Contact, actor: User, left_on: datetime.date
) -> tuple[Contact, StandingChange | None]:
    """Mark a contact as gone. A champion or sponsor leaving is a warning sign recorded as a
    signal: only then is the account rescored and the change returned."""
    (gone, _signal), change = _rescored(
        contact.account_id,
        lambda: services.contact_left(contact=contact, actor=actor, left_on=left_on),
        when=lambda written: written[1] is not None,
    )
    return gone, change


def portfolio_import(
    *,
    files: dict[str, bytes],
    dry_run: bool,
    actor: User | None = None,
    today: datetime.date | None = None,
    workers: int | None = None,
) -> importer.ImportReport:
    """Import a CSV bundle (all of it or nothing) and rescore every account it touched, in
    the import's transaction; a dry run writes and rescores nothing."""
    today = today or timezone.localdate()

    def rescore(account_ids: Collection[int]) -> None:
        # Under the live version, and under one being rolled out, whose chunks may have
        # passed these accounts already: it must not go live without the import.
        for profile in profiles_being_scored():
            scores_recompute(profile=profile, account_ids=account_ids, as_of=today, workers=workers)
        forget_pending_rescores(account_ids)

    def facts_changed(account_ids: Collection[int]) -> None:
        lines_refresh(account_ids=account_ids)

    return importer.portfolio_import(
        files=files,
        dry_run=dry_run,
        actor=actor,
        today=today,
        rescore=rescore,
        facts_changed=facts_changed,
    )


def account_mark_lost(
    *, account: Account, actor: User, lost_on: datetime.date, reason: str, note: str = ""
) -> Account:
    """Close the account as lost and rescore it: its evidence now stops on the day it was
    lost, as the backtest reads it."""
    lost, _ = _rescored(
        account.pk,
        lambda: account_record.account_mark_lost(
            account=account, actor=actor, lost_on=lost_on, reason=reason, note=note
        ),
    )
    return lost


def account_archive(*, account: Account, actor: User) -> Account:
    """Archive the account (no rescore: its scores stay as they were, out of every view)."""
    return account_record.account_archive(account=account, actor=actor)


def account_unarchive(*, account: Account, actor: User) -> tuple[Account, list[str]]:
    """Bring an archived account back, rescored up to today if it is active again."""
    (back, let_go), _ = _rescored(
        account.pk, lambda: account_record.account_unarchive(account=account, actor=actor)
    )
    return back, let_go


def account_change_undo(
    *, entry: AuditEntry, actor: User, now: datetime.datetime | None = None
) -> Account:
    """Undo a change of the account record (refused with UndoUnavailable when it no longer
    can be), and rescore: undoing a loss or a win-back moves where its evidence stops."""
    account, _ = _rescored(
        entry.account_id,
        lambda: account_record.account_change_undo(entry=entry, actor=actor, now=now),
    )
    return account
