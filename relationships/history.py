"""The account's change history: how an edit of the account itself is recorded.

Every write that changes an account (its facts, its owner, who it is shared with, a loss or a
reopening) records one entry in the same transaction; these builders make them read alike
whichever path made the change (a page, the CSV import, a command).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User

from accounts.models import Account
from relationships.models import AuditAction, AuditEntry


def person_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def people_names(users: Iterable[User]) -> str:
    return ", ".join(sorted(person_name(user) for user in users))


def account_edit_entry(
    *,
    account: Account,
    actor: User | None,
    summary: str,
    changes: dict[str, list[str]],
) -> AuditEntry:
    """A change-history entry for an edit of the account itself, not yet saved."""
    return AuditEntry(
        account=account,
        actor=actor,
        action=AuditAction.EDITED,
        subject="account",
        subject_id=account.pk,
        summary=summary,
        changes=changes,
    )


def owner_change_entry(
    *,
    account: Account,
    previous: User,
    owner: User,
    actor: User | None,
) -> AuditEntry:
    """The change-history entry of an owner change (who, from, to), not yet saved: the team
    form saves one, the CSV import saves its own in bulk, and both read the same."""
    return account_edit_entry(
        account=account,
        actor=actor,
        summary=f"Owner: {person_name(previous)} → {person_name(owner)}",
        changes={"owner": [person_name(previous), person_name(owner)]},
    )
