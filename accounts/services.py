"""Writes to accounts that a sales lead makes: reassigning the owner, sharing the account,
reopening a lost account."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.models import Account, AccountStatus
from relationships.models import AuditAction, AuditEntry
from scoring.services import account_rescore_now


def _name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def _names(users: Iterable[AbstractBaseUser]) -> str:
    return ", ".join(sorted(_name(user) for user in users))


def owner_change_entry(
    *,
    account: Account,
    previous: AbstractBaseUser,
    owner: AbstractBaseUser,
    actor: AbstractBaseUser | None,
) -> AuditEntry:
    """The change-history entry of an owner change (who, from, to), not yet saved: the team
    form saves one, the CSV import saves its own in bulk, and both read the same."""
    return AuditEntry(
        account=account,
        actor=actor,
        action=AuditAction.EDITED,
        subject="account",
        subject_id=account.pk,
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
    AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction.EDITED,
        subject="account",
        subject_id=account.pk,
        summary=f"Shared with: {_names(wanted.values()) or 'nobody'}",
        changes={"shared with": [_names(before.values()), _names(wanted.values())]},
    )
    return account


@transaction.atomic
def account_reopen(*, account: Account, actor: AbstractBaseUser) -> Account:
    """Make a lost account active again (the client came back): recorded in its change history
    with when and why it had been lost, and rescored up to today, since its evidence no longer
    stops on the day it was lost. An account that is not lost is left as it is."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.status != AccountStatus.LOST:
        return account
    was = f"lost on {account.lost_on.day} {account.lost_on:%b %Y}"
    if account.lost_reason:
        was += f": {account.lost_reason}"
    account.status = AccountStatus.ACTIVE
    account.lost_on = None
    account.lost_reason = ""
    account.save(update_fields=["status", "lost_on", "lost_reason", "updated_at"])
    AuditEntry.objects.create(
        account=account,
        actor=actor,
        action=AuditAction.EDITED,
        subject="account",
        subject_id=account.pk,
        summary=f"Reopened: was {was}",
        changes={"status": [was, "active"]},
    )
    account_rescore_now(account_id=account.pk)
    return account
