"""Use cases that change an account's status and its scores together."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from accounts.models import Account, AccountStatus
from relationships.history import account_edit_entry
from scoring.services import account_rescore_now


@transaction.atomic
def account_reopen(*, account: Account, actor: User) -> Account:
    """Make a lost account active again (the client came back): recorded in its change history
    with when and why it had been lost, and rescored up to today, since its evidence no longer
    stops on the day it was lost. An account that is not lost is left as it is."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.status != AccountStatus.LOST:
        return account
    lost_on = account.lost_on
    assert lost_on is not None  # a lost account has its date (the model's check constraint)
    was = f"lost on {lost_on.day} {lost_on:%b %Y}"
    if account.lost_reason:
        was += f": {account.lost_reason}"
    account.status = AccountStatus.ACTIVE
    account.lost_on = None
    account.lost_reason = ""
    account.save(update_fields=["status", "lost_on", "lost_reason", "updated_at"])
    account_edit_entry(
        account=account,
        actor=actor,
        summary=f"Reopened: was {was}",
        changes={"status": [was, "active"]},
    ).save()
    account_rescore_now(account_id=account.pk)
    return account
