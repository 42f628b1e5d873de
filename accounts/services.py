"""Writes about people's access that are not about one account: personal API tokens."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ApiToken

# Every token starts so, which tells a leaked one apart in logs and secret scanners.
TOKEN_MARK = "rt_"
# How many characters of the token are kept in clear, to tell a person's tokens apart.
PREFIX_LENGTH = 10
# Noting each use costs a write; once a minute is as precise as "last used" needs to be.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, name: str, read_only: bool = False) -> tuple[ApiToken, str]:
    """A new personal token for `user`; the token itself is returned once and never stored.
    A blank name, or one longer than the column, is a ValidationError in words."""
    name = name.strip()
    longest = ApiToken._meta.get_field("name").max_length or 0
    if not name:
        raise ValidationError("Give the token a name, to tell your tokens apart.")
    if len(name) > longest:
        raise ValidationError(
            f"The token's name is {len(name)} characters long; keep it to {longest}."
        )
    token = TOKEN_MARK + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=token[:PREFIX_LENGTH],
        token_hash=token_hash(token),
        read_only=read_only,
    )
    return row, token


def api_token_revoke(*, token: ApiToken, now: datetime.datetime | None = None) -> bool:
    """Revoke the token (it answers 401 from then on); False if it already was."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
    return bool(revoked)


def api_token_used(*, token: ApiToken, now: datetime.datetime | None = None) -> None:
    """Note that the token was used, at most once per LAST_USED_PRECISION, so a busy client
    does not cost a write per request."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
