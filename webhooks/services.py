"""Writes of webhook endpoints: register, edit, turn on and off, delete, test."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

from webhooks.events import EVENT_TYPES
from webhooks.models import Endpoint, Event
from webhooks.outbox import test_event_emit

# Standard Webhooks: a secret of 24 to 64 random bytes, base64-encoded, prefixed `whsec_`.
SECRET_BYTES = 32


def secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _known(events: Iterable[str]) -> list[str]:
    wanted = set(events)
    unknown = wanted - EVENT_TYPES.keys()
    if unknown:
        raise ValueError(f"Unknown event types: {', '.join(sorted(unknown))}")
    return [kind for kind in EVENT_TYPES if kind in wanted]  # the catalog's order


def endpoint_create(
    *, url: str, events: Iterable[str], description: str = "", actor: User | None = None
) -> Endpoint:
    """Register an endpoint, enabled, with a new secret (show it to the admin once)."""
    return Endpoint.objects.create(
        url=url,
        events=_known(events),
        description=description,
        secret=secret_generate(),
        created_by=actor,
    )


@transaction.atomic
def endpoint_update(
    *, endpoint: Endpoint, url: str, events: Iterable[str], description: str = ""
) -> Endpoint:
    """Change where an endpoint is and what it wants; its secret stays."""
    endpoint.url, endpoint.events, endpoint.description = url, _known(events), description
    endpoint.save(update_fields=["url", "events", "description"])
    return endpoint


def endpoint_enable(*, endpoint: Endpoint, enabled: bool) -> Endpoint:
    """Turn an endpoint on or off. While off it gets no new events; deliveries already queued
    wait and go out once it is on again."""
    endpoint.is_enabled = enabled
    endpoint.save(update_fields=["is_enabled"])
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint) -> None:
    """Delete an endpoint with its delivery log; events no other endpoint waits for go too."""
    endpoint.delete()
    Event.objects.filter(deliveries__isnull=True).delete()


def endpoint_test(*, endpoint: Endpoint) -> Event:
    """Queue a signed test event for this endpoint; the worker sends it within seconds."""
    return test_event_emit(endpoint=endpoint)
