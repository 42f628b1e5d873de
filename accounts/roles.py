"""The three roles of docs/model.md (The account record, the portfolio and the people), held as auth
groups (created by a migration)."""

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

ACCOUNT_MANAGER = "Account manager"
SALES_LEAD = "Sales lead"
SCORING_ADMIN = "Scoring admin"

ALL_ROLES = [ACCOUNT_MANAGER, SALES_LEAD, SCORING_ADMIN]


def role_names(user: User | AnonymousUser) -> frozenset[str]:
    """The user's roles, read once per user object (so once per request)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        # A cache on this user object, which the model does not declare.
        user._role_names = cached  # type: ignore[attr-defined]
    return cached


def user_has_role(user: User | AnonymousUser, role: str) -> bool:
    return role in role_names(user)


def sees_whole_portfolio(user: User | AnonymousUser) -> bool:
    """Sales leads and scoring admins read every account; managers read their own."""
    if user.is_authenticated and user.is_superuser:
        return True
    return bool(role_names(user) & {SALES_LEAD, SCORING_ADMIN})


def require_role(user: User | AnonymousUser, *roles: str, message: str) -> None:
    """Refuse (403) a user who holds none of `roles`; superusers pass."""
    if not (user.is_authenticated and user.is_superuser) and not role_names(user) & set(roles):
        raise PermissionDenied(message)
