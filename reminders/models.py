"""What reaches people who do not open the app: their choices (digest frequency and hour,
a calendar feed), what they did with each reminder (done, snoozed, dismissed), what was sent,
and the background worker's own pulse.

The reminders themselves are not stored: they are computed from the accounts, evidence and
scores each time (reminders/selectors.py). Only what a person did with one is kept, by the
reminder's key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class DigestFrequency(models.TextChoices):
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Mondays only"
    OFF = "off", "Never"


# A digest goes out at this hour (TIME_ZONE) for people who never chose one.
DEFAULT_DIGEST_HOUR = 7


class ReminderPreference(models.Model):
    """How often a person gets the digest by email, and at what hour."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    frequency = models.CharField(
        "email digest", max_length=10, choices=DigestFrequency, default=DigestFrequency.DAILY
    )
    hour = models.PositiveSmallIntegerField(
        "at", default=DEFAULT_DIGEST_HOUR, help_text="The hour of the day it arrives."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="reminder_hour_0_to_23"),
            models.CheckConstraint(
                condition=Q(frequency__in=DigestFrequency.values),
                name="reminder_frequency_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()} at {self.hour}:00"


class MarkState(models.TextChoices):
    DONE = "done", "Done"
    SNOOZED = "snoozed", "Snoozed"
    DISMISSED = "dismissed", "Dismissed"


class ReminderMark(models.Model):
    """What a person did with one reminder, identified by its key (which names the account
    and the fact that raised it, so a new due date or a new silence is a new reminder)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    state = models.CharField(max_length=10, choices=MarkState)
    # A snoozed reminder comes back on this day.
    until = models.DateField(null=True, blank=True)
    marked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_mark_per_user_reminder"),
            models.CheckConstraint(
                condition=Q(state=MarkState.SNOOZED, until__isnull=False)
                | (Q(state__in=[MarkState.DONE, MarkState.DISMISSED]) & Q(until__isnull=True)),
                name="reminder_snooze_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.key} {self.state}"


class DigestSent(models.Model):
    """One digest email per person and day, at most: the row is written in the same
    transaction as the email goes out, so a second run for the same day sends nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    items = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "on"], name="one_digest_per_user_day")
        ]

    def __str__(self) -> str:
        return f"Digest to {self.user} for {self.on}"


class CalendarFeed(models.Model):
    """A person's private calendar address. Only a hash of its token is kept: the address is
    shown once, when it is made, and a new one replaces (revokes) the old."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="one_live_feed_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}" + (" (revoked)" if self.revoked_at else "")


class DigestRun(models.Model):
    """The hourly digest run for one hour slot. The slot is unique, so of several workers
    that reach the same hour, one claims it and the others leave it."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Queued"
        DONE = "done", "Sent"
        FAILED = "failed", "Failed"

    slot = models.DateTimeField(unique=True, help_text="The start of the hour it covers.")
    status = models.CharField(max_length=10, choices=Status, default=Status.CLAIMED)
    claimed_by = models.CharField(max_length=200)
    claimed_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"Digest run {self.slot:%Y-%m-%d %H:00}: {self.status}"


class WorkerStatus(models.Model):
    """The background worker's pulse, in one row read by one query: when a worker last beat,
    and how the last digest run ended."""

    name = models.CharField(max_length=20, unique=True, default="worker")
    beat_at = models.DateTimeField(null=True, blank=True)
    beat_by = models.CharField(max_length=200, blank=True)
    digest_failed_at = models.DateTimeField(null=True, blank=True)
    digest_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "worker status"

    def __str__(self) -> str:
        return f"Worker last seen {self.beat_at}"
