"""Where captured evidence comes from, and each meeting or message waiting for review.

Declared here and imported by relationships/models.py, so they belong to the relationships
app (their migrations are its migrations).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class SourceKind(models.TextChoices):
    CALENDAR_FILE = "calendar_file", "Calendar file"
    MAIL_FILES = "mail_files", "Mail files"
    CALDAV = "caldav", "CalDAV calendar"


class CaptureSource(models.Model):
    """A calendar or mailbox a manager brought in: an uploaded file (one row per upload, so
    its outcome stays readable) or a CalDAV calendar synced in the background.

    The sync state is what the sources page shows: when it last worked, what it found, and
    the last error in words, so a sync that runs but brings nothing is visible.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capture_sources"
    )
    kind = models.CharField(max_length=20, choices=SourceKind)
    name = models.CharField(max_length=300, help_text="The file's name, or the calendar's.")
    url = models.URLField("calendar address", max_length=500, blank=True)
    username = models.CharField("user name", max_length=200, blank=True)
    # Fernet token of the app password (relationships/capture/credentials.py); never shown.
    password_encrypted = models.TextField(blank=True)
    sync_token = models.CharField(max_length=500, blank=True)
    full_sync_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    found = models.PositiveIntegerField(
        default=0, help_text="Events or messages read in the last run, inside the window."
    )
    matched = models.PositiveIntegerField(default=0)
    skipped_private = models.PositiveIntegerField(default=0)
    skipped_unreadable = models.PositiveIntegerField(
        default=0, help_text="Events or messages that could not be read (no start, no sender)."
    )
    capped_series = models.PositiveIntegerField(
        default=0, help_text="Repeating events cut at their first occurrences (parsing.py)."
    )
    left_out = models.PositiveIntegerField(
        default=0, help_text="Records beyond the most a file or sync brings at a time."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "last_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="capturesource_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ItemKind(models.TextChoices):
    EVENT = "event", "Meeting"
    MESSAGE = "message", "Email"


class ItemStatus(models.TextChoices):
    PENDING = "pending", "To confirm"
    CONFIRMED = "confirmed", "Confirmed"
    DISCARDED = "discarded", "Discarded"


class CapturedItem(models.Model):
    """One meeting (one occurrence of a recurring one) or one message, waiting for the manager
    to confirm it as an interaction, or discard it.

    Keyed by whose it is, the calendar's UID (a message's Message-ID) and the recurrence id,
    so importing or syncing the same calendar again updates instead of duplicating, and a
    confirmed or discarded item never comes back.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="captured_items"
    )
    source = models.ForeignKey(
        CaptureSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    kind = models.CharField(max_length=10, choices=ItemKind)
    uid = models.CharField(max_length=500)
    recurrence_id = models.CharField(max_length=40, blank=True)
    # The calendar object's path on a CalDAV server: a deletion there names it.
    href = models.CharField(max_length=500, blank=True)
    occurred_on = models.DateField()
    starts_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    addresses = models.JSONField(
        default=list, help_text="The other side's email addresses, lower-cased."
    )
    from_client = models.BooleanField(
        default=False, help_text="The client organised the meeting or wrote the message."
    )
    account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="captured_items",
    )
    assigned = models.BooleanField(
        default=False, help_text="The manager chose the account; imports keep it."
    )
    participants = models.ManyToManyField(
        "relationships.Contact", blank=True, related_name="captured_items"
    )
    status = models.CharField(max_length=10, choices=ItemStatus, default=ItemStatus.PENDING)
    interaction = models.ForeignKey(
        "relationships.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="captured_from",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_on", "-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "uid", "recurrence_id"], name="captureditem_once_per_owner"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ItemKind.values), name="captureditem_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="captureditem_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["owner", "status", "occurred_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on}: {self.subject}"
