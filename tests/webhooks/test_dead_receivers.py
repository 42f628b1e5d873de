"""A backlog to a receiver that never answers is given up on the schedule's time, a day and a
bit, however many events wait: each event's own schedule runs while it waits behind another,
and the log says it waits behind a failing delivery."""

import datetime

import pytest
from django.urls import reverse

from webhooks import events
from webhooks.delivery import RETRY_DELAYS, deliveries_run
from webhooks.models import Delivery, DeliveryStatus
from webhooks.outbox import events_emit

T0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


def _passes_until_settled(now):
    """Run a pass whenever something is due, as the worker would; the times of the passes."""
    passes = []
    while (due := Delivery.objects.filter(status=DeliveryStatus.PENDING)).exists():
        now = max(now, min(d.next_attempt_at for d in due))
        deliveries_run(now=now)
        passes.append(now)
        assert len(passes) < 50
    return passes


def test_a_backlog_to_a_dead_receiver_is_given_up_when_one_event_would_be(
    register, closed_port_url
):
    register(closed_port_url)
    events_emit(
        kind=events.ACCOUNT_LOST,
        payloads=[{"account": {"id": n}} for n in range(20)],
        now=T0,
    )

    passes = _passes_until_settled(T0)

    assert passes[-1] - T0 == sum(RETRY_DELAYS, datetime.timedelta())  # 1 day 03:35:05
    assert len(passes) == len(RETRY_DELAYS) + 1  # one connection tried per pass, not per event
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    tried, *waited = Delivery.objects.order_by("pk")
    assert tried.attempts == len(RETRY_DELAYS) + 1 and "refused" in tried.error.lower()
    assert all(d.attempts == 0 for d in waited)  # never sent, and the log says so
    assert all(d.error.startswith("Gave up without sending: ") for d in waited)


def test_the_log_says_which_failing_delivery_the_others_wait_behind(
    client, sam, register, closed_port_url
):
    endpoint = register(closed_port_url)
    events_emit(kind=events.ACCOUNT_LOST, payloads=[{"n": 1}, {"n": 2}, {"n": 3}], now=T0)

    deliveries_run(now=T0)

    tried, *waiting = Delivery.objects.order_by("pk")
    assert all(d.next_attempt_at == tried.next_attempt_at for d in waiting)
    assert waiting[0].error.startswith(
        "Not sent yet: waiting behind the account.lost event of 20 Nov 09:00:00, which got no "
        "answer (Could not connect: "
    )
    client.force_login(sam)
    log = client.get(
        reverse("webhook-endpoint", args=[endpoint.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert log.count("Not sent yet: waiting behind the account.lost event") == 2
