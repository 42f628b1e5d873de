"""Reads of accounts. `accounts_visible_to` is the one place that decides who sees what."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, QuerySet

from accounts.models import Account
from accounts.roles import sees_whole_portfolio


def accounts_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Account]:
    if not user.is_authenticated:
        return Account.objects.none()
    if sees_whole_portfolio(user):
        return Account.objects.all()
    return Account.objects.filter(owner=user)


def account_list_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Account]:
    """The rows of the account list: owner, last contact and interaction count in one query."""
    return (
        accounts_visible_to(user)
        .select_related("owner")
        .annotate(last_contact_on=Max("interactions__occurred_on"))
        .annotate(interaction_count=Count("interactions"))
        .order_by("name")
    )
