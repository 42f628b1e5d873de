"""Reads of accounts. Who may see which account is decided in accounts/access.py."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import QuerySet

from accounts.models import AccountDomain
from accounts.roles import ACCOUNT_MANAGER


def account_managers() -> QuerySet[User]:
    """Who may own an account or have one shared with them: active account managers. The
    team form on the account page offers these, and the CSV import accepts only these."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=ACCOUNT_MANAGER)
        .order_by("first_name", "last_name", "username")
    )


def domains_claimed_elsewhere(
    domains: Collection[str], *, account_id: int | None = None
) -> list[tuple[str, str]]:
    """Which of `domains` an active account other than `account_id` holds: (domain, the
    account's name) pairs, one query."""
    if not domains:
        return []
    claimed = AccountDomain.objects.filter(domain__in=domains, claimed=True)
    if account_id is not None:
        claimed = claimed.exclude(account_id=account_id)
    return list(claimed.order_by("domain").values_list("domain", "account__name"))
