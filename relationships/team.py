"""Who looks after an account: a sales lead hands it to another manager or shares it. Each
change is recorded in the account's history."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

from accounts.models import Account
from relationships.history import account_edit_entry, owner_change_entry, people_names


@transaction.atomic
def account_reassign(*, account: Account, owner: User, actor: User) -> Account:
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
def account_share(*, account: Account, managers: Iterable[User], actor: User) -> Account:
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
        summary=f"Shared with: {people_names(wanted.values()) or 'nobody'}",
        changes={"shared with": [people_names(before.values()), people_names(wanted.values())]},
    ).save()
    return account
