"""Writes to accounts that a sales lead makes: reassigning the owner, sharing the account.
Reopening a lost account rescores it too, so it lives with the scores (scoring/account_status.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.models import Account
from relationships.models import AuditAction, AuditEntry


def _name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def _names(users: Iterable[AbstractBaseUser]) -> str:
    return ", ".join(sorted(_name(user) for user in users))


def account_edit_entry(
    *,
    account: Account,
    actor: AbstractBaseUser | None,
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
    previous: AbstractBaseUser,
    owner: AbstractBaseUser,
    actor: AbstractBaseUser | None,
) -> AuditEntry:
    """The change-history entry of an owner change (who, from, to), not yet saved: the team
    form saves one, the CSV import saves its own in bulk, and both read the same."""
    return account_edit_entry(
        account=account,
        actor=actor,
        summary=f"Owner: {_name(previous)} → {_name(owner)}",
        changes={"owner": [_name(previous), _name(owner)]},
    )


@transaction.atomic
def account_reassign(
    *, account: Account, owner: AbstractBaseUser, actor: AbstractBaseUser
) -> Account:
    """Hand the account to another manager, recorded in its change history."""
    account = Account.objects.select_for_update().select_related("owner").get(pk=account.pk)
    previous = account.owner
    if previous.pk == owner.pk:
        return account
    account.owner = owner
    account.save(update_fields=["owner", "updated_at"])
    owner_change_entry(account=account, previous=previous, owner=owner, actor=actor).save()
    return account


@transaction.atomic
def account_share(
    *, account: Account, managers: Iterable[AbstractBaseUser], actor: AbstractBaseUser
) -> Account:
    """Set which other managers may read and log on the account."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    wanted = {user.pk: user for user in managers if user.pk != account.owner_id}
    before = {user.pk: user for user in account.shared_with.all()}
    if set(wanted) == set(before):
        return account
    account.shared_with.set(wanted.values())
    account_edit_entry(
        account=account,
        actor=actor,
        summary=f"Shared with: {_names(wanted.values()) or 'nobody'}",
        changes={"shared with": [_names(before.values()), _names(wanted.values())]},
    ).save()
    return account
