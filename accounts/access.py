"""Who may see and change which account: the one place that decides it.

Every page, fragment, export, import and command that reads or writes an account asks here;
none filters by owner or checks a role about an account on its own. Three levels:

- **read**: sales leads and scoring admins read the whole portfolio; an account manager reads
  the accounts they own and the ones shared with them.
- **write** (log evidence, edit the facts): the account's owner and the managers it is shared
  with. Sales leads read everything but write only where they manage the account themselves.
- **details** (the account's name, industry, revenue, partnership potential, external id and
  email domains): its writers and sales leads. Only a sales lead changes the owner.
- **manage** (open an account, hand it to another manager, share it, mark it lost, win it
  back, archive it): sales leads.

Superusers pass every check. An account the user may not read is a 404, so its existence does
not leak; one they read but may not change is a 403.
"""

from __future__ import annotations

from django.contrib.auth import models as auth
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Account
from accounts.roles import SALES_LEAD, sees_whole_portfolio, user_has_role

# Whoever asks: a signed-in user, or the anonymous one (`request.user`).
User = auth.User | auth.AnonymousUser


def _own_or_shared(user: auth.User) -> Q:
    shared = Account.shared_with.through.objects.filter(user_id=user.pk).values("account_id")
    return Q(owner_id=user.pk) | Q(pk__in=shared)


def accounts_visible_to(user: User) -> QuerySet[Account]:
    """Accounts the user may read."""
    if not user.is_authenticated:
        return Account.objects.none()
    if sees_whole_portfolio(user):
        return Account.objects.all()
    return Account.objects.filter(_own_or_shared(user))


def accounts_editable_by(user: User) -> QuerySet[Account]:
    """Accounts the user may log evidence on and edit."""
    if not user.is_authenticated:
        return Account.objects.none()
    if user.is_superuser:
        return Account.objects.all()
    return Account.objects.filter(_own_or_shared(user))


def may_manage_accounts(user: User) -> bool:
    """Whether the user opens accounts, hands them to another manager, shares, closes and
    reopens them: sales leads (and superusers) only. The team form, the account forms and the
    CSV import ask this."""
    if user.is_authenticated and user.is_superuser:
        return True
    return user_has_role(user, SALES_LEAD)


def may_write(user: User, account: Account) -> bool:
    """Whether the user may log evidence on `account` and edit its facts (one query at most)."""
    if not user.is_authenticated:
        return False
    return account.owner_id == user.pk or accounts_editable_by(user).filter(pk=account.pk).exists()


def may_edit_details(user: User, account: Account) -> bool:
    """Whether the user may edit the account's details (not its owner): its managers and
    sales leads."""
    return may_manage_accounts(user) or may_write(user, account)


def account_for_user(
    user: User,
    account_id: int,
    *,
    write: bool = False,
    details: bool = False,
    manage: bool = False,
) -> Account:
    """The account, if the user may read it (and write to it with `write`, edit its details
    with `details`, manage it with `manage`); otherwise 404 (not readable) or 403 (readable,
    not theirs to change)."""
    try:
        account = accounts_visible_to(user).select_related("owner").get(pk=account_id)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None
    if write and not may_write(user, account):
        raise PermissionDenied("Only the account's manager can change it.")
    if details and not may_edit_details(user, account):
        raise PermissionDenied("Only the account's manager or a sales lead can edit it.")
    if manage and not may_manage_accounts(user):
        raise PermissionDenied("Only a sales lead can reassign, share or reopen accounts.")
    return account


def may_change_entry(user: User, account: Account, *, author_id: int | None) -> bool:
    """Whether the user may edit or delete one logged entry on an account they may write to:
    the person who logged it, or, for imported history (logged by nobody), the account's
    owner."""
    if user.is_authenticated and user.is_superuser:
        return True
    if author_id is None:
        return account.owner_id == user.pk
    return author_id == user.pk
