"""Sign-in throttling: django-axes' database handler, with a second limit per client address.

django-axes counts failed sign-ins per username and address (AXES_LOCKOUT_PARAMETERS), so
guessing one person's password pauses that pair, and nobody else. Password spraying tries one
or two common passwords on many usernames from one address and never reaches that limit; so
the failures of every username from one address are counted too, against a higher limit
(LOGIN_ADDRESS_FAILURE_LIMIT, since a whole office may sign in from one address), over the
same cool-off window. `manage.py axes_reset_ip ADDRESS` lifts the pause.

Which address a request comes from is django-ipware's answer, configured in settings.py from
DJANGO_PROXY_COUNT.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


class AxesHttpRequest(HttpRequest):
    """A sign-in request as django-axes leaves it, with the reason for a pause that the lockout
    page reads."""

    axes_ip_address: str
    sign_in_paused_for_address: bool


class SignInThrottle(AxesDatabaseHandler):
    def address_failures(self, request: AxesHttpRequest) -> int:
        """Failed sign-ins from the request's address within the cool-off, any username."""
        attempts = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,
            attempt_time__gte=get_cool_off_threshold(request),
        )
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def _address_paused(self, request: AxesHttpRequest) -> bool:
        paused = self.address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
        # The lockout page says why: this address, not this username.
        request.sign_in_paused_for_address = paused
        return paused

    def is_locked(self, request: AxesHttpRequest, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or self._address_paused(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        # The failure that reaches the address's limit answers with the pause at once, as the
        # one reaching the username's limit does.
        if request is not None and not request.axes_locked_out and self._address_paused(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
