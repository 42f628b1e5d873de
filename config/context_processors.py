from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.roles import SALES_LEAD, SCORING_ADMIN, role_names


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    bundles = bool(
        user
        and user.is_authenticated
        and (user.is_superuser or role_names(user) & {SALES_LEAD, SCORING_ADMIN})
    )
    keeps_catalog = bool(
        user and user.is_authenticated and (user.is_superuser or SCORING_ADMIN in role_names(user))
    )
    return {
        "CURRENCY": settings.CURRENCY,
        "today": timezone.localdate(),  # what "overdue" is measured against
        "reads_portfolio": bundles,
        "keeps_catalog": keeps_catalog,
    }
