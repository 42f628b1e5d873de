"""Writes about reminders: what a person did with one, their digest choices, their calendar
feed. Each is a short transaction; none touches accounts or evidence."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from reminders.models import (
    CalendarFeed,
    DigestFrequency,
    MarkState,
    ReminderMark,
    ReminderPreference,
)

# How long each snooze lasts.
SNOOZES = {"snooze_day": datetime.timedelta(days=1), "snooze_week": datetime.timedelta(weeks=1)}
ACTIONS = ("done", "dismiss", *SNOOZES)


def reminder_mark(*, user: User, key: str, action: str, today: datetime.date) -> ReminderMark:
    """Record that the person marked a reminder done, dismissed it or snoozed it (it comes
    back on the day the snooze ends)."""
    if action in SNOOZES:
        state, until = MarkState.SNOOZED, today + SNOOZES[action]
    elif action == "done":
        state, until = MarkState.DONE, None
    elif action == "dismiss":
        state, until = MarkState.DISMISSED, None
    else:
        raise ValueError(f"Unknown action {action!r}")
    mark, _ = ReminderMark.objects.update_or_create(
        user=user, key=key, defaults={"state": state, "until": until}
    )
    return mark


def preference_save(*, user: User, frequency: str, hour: int) -> None:
    """The person's digest frequency (DigestFrequency) and hour (0-23)."""
    if frequency not in DigestFrequency.values or not 0 <= hour <= 23:
        raise ValueError("frequency or hour out of range")
    ReminderPreference.objects.update_or_create(
        user=user, defaults={"frequency": frequency, "hour": hour}
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def feed_create(*, user: User) -> str:
    """A new private calendar token for the person, revoking any earlier one; the token
    itself is returned once and never stored. Two at once for one person (a double click)
    take turns on the person's row, so the second revokes the first's feed instead of
    colliding with it."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    feed_revoke(user=user)
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(user=user, token_hash=token_hash(token))
    return token


def feed_revoke(*, user: User) -> int:
    """Revoke the person's calendar feed; how many were live (0 or 1)."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_owner(token: str) -> User | None:
    """The person whose live feed the token opens, or None."""
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    return None if feed is None or not feed.user.is_active else feed.user
