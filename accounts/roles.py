"""The three roles of DOMAIN.md §6, held as auth groups (created by a migration)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ACCOUNT_MANAGER = "Account manager"
SALES_LEAD = "Sales lead"
SCORING_ADMIN = "Scoring admin"

ALL_ROLES = [ACCOUNT_MANAGER, SALES_LEAD, SCORING_ADMIN]


def user_has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    if not user.is_authenticated:
        return False
    return user.groups.filter(name=role).exists()


def sees_whole_portfolio(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Sales leads and scoring admins read every account; managers read their own."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=[SALES_LEAD, SCORING_ADMIN]).exists()
