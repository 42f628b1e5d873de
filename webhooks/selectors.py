"""Reads for the webhooks pages: the endpoints and each one's delivery log."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from webhooks.models import Delivery, DeliveryStatus, Endpoint

LOG_ROWS = 50  # deliveries shown on an endpoint's page, newest first


def endpoints_listed() -> QuerySet[Endpoint]:
    """Every endpoint with its count of waiting and given-up deliveries (one query)."""
    return Endpoint.objects.annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        given_up=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    ).order_by("pk")


@dataclass(frozen=True)
class DeliveryLog:
    rows: list[Delivery]
    waiting: int  # deliveries not yet sent, in the whole log

    @property
    def pending(self) -> bool:
        return self.waiting > 0


def delivery_log(*, endpoint: Endpoint) -> DeliveryLog:
    """The endpoint's latest deliveries with their events, and how many still wait (two
    queries, whatever the size of the log)."""
    rows = list(
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-pk")[:LOG_ROWS]
    )
    waiting = Delivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).count()
    return DeliveryLog(rows, waiting)
