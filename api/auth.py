"""Who calls the API: a personal token in `Authorization: Bearer <token>`, never a session (so
the pages' CSRF protection has nothing to guard here), and how often they may call."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from accounts.models import ApiToken
from accounts.selectors import api_token_live
from accounts.services import api_token_used
from config.db_router import api_read_from_replica


class ApiRequest(HttpRequest):
    """A request that passed `TokenAuth`: `auth` is the token it carried."""

    auth: ApiToken


class TokenAuth(HttpBearer):
    """A live personal token of an active user; anything else answers 401."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_token_live(token.strip())
        if found is None:
            return None
        api_token_used(token=found)
        # The token is checked on the primary (a revoked one stops at once); a GET's reads
        # may then come from the replica.
        api_read_from_replica(request, token_id=found.pk)
        return found


def caller(request: ApiRequest) -> User:
    """The person the token speaks for: every read and write goes through the access decision
    (accounts/access.py) as this person, as their pages would."""
    return request.auth.user


def require_write(request: ApiRequest) -> None:
    """Refuse (403) a write made with a read-only token."""
    if request.auth.read_only:
        raise HttpError(403, "This token is read-only: make a read-write token to change data.")


class TokenRateThrottle(AuthRateThrottle):
    """At most API_RATE_LIMIT requests per token (in the Django cache), then 429 with a
    Retry-After. The rate is read from the settings on each request, so a change of the
    setting needs no new API object."""

    def __init__(self) -> None:
        super().__init__(rate=settings.API_RATE_LIMIT)

    def get_cache_key(self, request: HttpRequest) -> str:
        token = getattr(request, "auth", None)
        ident = f"token-{token.pk}" if isinstance(token, ApiToken) else self.get_ident(request)
        return self.cache_format % {"scope": "api", "ident": ident}

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.API_RATE_LIMIT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)
