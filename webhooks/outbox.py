"""Writing events to the outbox: what every path that changes an account calls.

Call these inside the transaction of the change: the event is committed with it or not at all.
When no enabled endpoint wants the event type, nothing is written and the payloads are never
built (pass a generator to `events_emit`), at the cost of one small query per call; so seeding,
imports and recomputes stay as fast as without webhooks.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from webhooks.events import EVENT_TYPES, TEST_EVENT
from webhooks.models import Delivery, Endpoint, Event

Payload = Mapping[str, Any]


def kinds_wanted() -> frozenset[str]:
    """The event types at least one enabled endpoint subscribes to (one query)."""
    return frozenset(
        kind
        for events in Endpoint.objects.filter(is_enabled=True).values_list("events", flat=True)
        for kind in events
    )


def _subscribers(kind: str) -> list[int]:
    """The enabled endpoints that want `kind` (one query)."""
    return [
        pk
        for pk, events in Endpoint.objects.filter(is_enabled=True).values_list("pk", "events")
        if kind in events
    ]


def envelope(*, kind: str, data: Payload, at: datetime.datetime) -> dict[str, Any]:
    """The body every receiver gets, as the Standard Webhooks specification suggests it:
    the type, when it happened (ISO 8601, UTC) and the event's own data."""
    return {
        "type": kind,
        "timestamp": at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "data": dict(data),
    }


def event_emit(*, kind: str, payload: Payload, now: datetime.datetime | None = None) -> int:
    """Write one event of type `kind` for every endpoint that wants it; the number of events
    written (0 or 1)."""
    return events_emit(kind=kind, payloads=(payload,), now=now)


def events_emit(
    *, kind: str, payloads: Iterable[Payload], now: datetime.datetime | None = None
) -> int:
    """Write one event per payload, and its deliveries, in bulk; the number of events written.

    One query when nobody subscribes to `kind` (the payloads are then not even iterated),
    three otherwise, whatever the number of payloads.
    """
    if kind not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {kind!r}.")
    endpoint_ids = _subscribers(kind)
    if not endpoint_ids:
        return 0
    return _written(kind, payloads, endpoint_ids, now or timezone.now())


def test_event_emit(*, endpoint: Endpoint, now: datetime.datetime | None = None) -> Event:
    """Queue a test event for `endpoint` alone, whatever it subscribes to or whether it is
    enabled (an admin checks the receiver before turning it on)."""
    now = now or timezone.now()
    data = {"endpoint": {"id": endpoint.pk, "url": endpoint.url}, "message": "It works."}
    with transaction.atomic():
        event = Event.objects.create(
            kind=TEST_EVENT, payload=envelope(kind=TEST_EVENT, data=data, at=now), created_at=now
        )
        Delivery.objects.create(event=event, endpoint=endpoint, next_attempt_at=now)
    return event


def _written(
    kind: str, payloads: Iterable[Payload], endpoint_ids: list[int], now: datetime.datetime
) -> int:
    with transaction.atomic():
        events = Event.objects.bulk_create(
            Event(kind=kind, payload=envelope(kind=kind, data=data, at=now), created_at=now)
            for data in payloads
        )
        Delivery.objects.bulk_create(
            Delivery(event_id=event.pk, endpoint_id=endpoint_id, next_attempt_at=now)
            for event in events
            for endpoint_id in endpoint_ids
        )
    return len(events)
