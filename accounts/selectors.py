"""Reads of accounts. This module is the one place that decides who sees and changes what.

Every view and fragment gets its accounts through `accounts_visible_to`, `accounts_editable_by`
or `account_for`; none filters by owner on its own.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from accounts.models import Account
from accounts.roles import sees_whole_portfolio

User = AbstractBaseUser | AnonymousUser


def _own_or_shared(user: AbstractBaseUser) -> Q:
    shared = Account.shared_with.through.objects.filter(user_id=user.pk).values("account_id")
    return Q(owner_id=user.pk) | Q(pk__in=shared)


def accounts_visible_to(user: User) -> QuerySet[Account]:
    """Accounts the user may read: sales leads and scoring admins read the whole portfolio;
    an account manager reads the accounts they own and the ones shared with them."""
    if not user.is_authenticated:
        return Account.objects.none()
    if sees_whole_portfolio(user):
        return Account.objects.all()
    return Account.objects.filter(_own_or_shared(user))


def accounts_editable_by(user: User) -> QuerySet[Account]:
    """Accounts the user may log evidence on and edit: their own and the ones shared with them.

    Sales leads read everything but write only where they manage the account themselves
    (reassigning owners is their own, separate permission).
    """
    if not user.is_authenticated:
        return Account.objects.none()
    if user.is_superuser:
        return Account.objects.all()
    return Account.objects.filter(_own_or_shared(user))


def account_for(user: User, account_id: int, *, for_write: bool = False) -> Account:
    """The account, if the user may read it (and change it, with `for_write`).

    An account the user may not read is a 404, so its existence does not leak; one they read
    but may not change is a 403.
    """
    try:
        account = accounts_visible_to(user).select_related("owner").get(pk=account_id)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None
    if (
        for_write
        and account.owner_id != user.pk
        and not accounts_editable_by(user).filter(pk=account.pk).exists()
    ):
        raise PermissionDenied("Only the account's manager can change it.")
    return account


def account_list_for(user: User) -> QuerySet[Account]:
    """The rows of the account list: owner, last contact and interaction count in one query."""
    return (
        accounts_visible_to(user)
        .select_related("owner")
        .annotate(last_contact_on=Max("interactions__occurred_on"))
        .annotate(interaction_count=Count("interactions"))
        .order_by("name")
    )
