"""Webhooks: the endpoints admins register, the outbox of events, and each delivery.

An event is written in the same transaction as the change it reports (`webhooks.outbox`), with
one delivery per endpoint that subscribes to it; the background worker sends the deliveries
afterwards (`webhooks.delivery`), so a change never waits for another system, and a change that
rolls back leaves no event behind.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Endpoint(models.Model):
    """A URL another system listens on, and the events it wants."""

    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Event type names (webhooks.events.EVENT_TYPES). A handful of endpoints at most: the
    # subscribers of an event are found by reading them all (one query), not by a JSON lookup.
    events = models.JSONField(default=list)
    # The signing secret, `whsec_` + base64, as the Standard Webhooks specification gives it.
    # Signing needs it in clear; it is shown once, when the endpoint is created.
    secret = models.CharField(max_length=100)
    is_enabled = models.BooleanField("enabled", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """One thing that happened, as the receivers get it: the body of every delivery of it."""

    # The `webhook-id` header (msg_<hex>): the same on every attempt, so a receiver that got
    # one twice (a retry after a lost answer) can tell.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("type", max_length=50)
    # {"type": ..., "timestamp": ..., "data": {...}}: sent as it is stored.
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.uuid.hex}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up"


class Delivery(models.Model):
    """One event on its way to one endpoint: the attempts so far and when the next is due."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a worker may take it next (a claimed delivery is pushed past the claim's lease);
    # None once delivered or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # When it first failed: its own attempt, or its endpoint's on a delivery it waited behind.
    # The retry schedule runs from here, so a delivery is given up a day and a bit later
    # however long the queue in front of it.
    failing_since = models.DateTimeField(null=True, blank=True)
    # The receiver's HTTP status on the last attempt; None when it never answered.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "deliveries"
        indexes = [
            # What the worker asks on every pass: the pending deliveries due first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due",
            ),
            # An endpoint's delivery log, newest first.
            models.Index(fields=["endpoint", "-id"], name="delivery_log"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}: {self.get_status_display()}"
