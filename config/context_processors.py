from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.roles import SALES_LEAD, SCORING_ADMIN, role_names

# Where the pages remember the count of a person's reminders (pages/views/reminders.py).
SESSION_REMINDERS_COUNT = "reminders_due"


def _reminders_due(request: HttpRequest) -> int | None:
    """The header's count of reminders: today's count as the session remembers it (no query),
    or None when it was last counted on another day."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    counted = request.session.get(SESSION_REMINDERS_COUNT)
    if not counted or counted[0] != timezone.localdate().isoformat():
        return None
    return int(counted[1])


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
        "reminders_due": _reminders_due(request),
        "CURRENCY": settings.CURRENCY,
        "today": timezone.localdate(),  # what "overdue" is measured against
        "reads_portfolio": bundles,
        "keeps_catalog": keeps_catalog,
    }
