"""Use cases that change an account's status and its scores together."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from accounts.models import Account
from relationships.account_record import account_win_back
from scoring.services import account_rescore_now


@transaction.atomic
def account_reopen(*, account: Account, actor: User) -> tuple[Account, list[str]]:
    """Make a lost account active again (the client came back): recorded in its change history
    with when and why it had been lost, and rescored up to today, since its evidence no longer
    stops on the day it was lost. An account that is not lost is left as it is. Returns the
    account and the email domains another account took meanwhile (let go)."""
    reopened, let_go = account_win_back(account=account, actor=actor)
    account_rescore_now(account_id=reopened.pk)
    return reopened, let_go
