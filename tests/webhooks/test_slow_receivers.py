"""A receiver that answers a byte at a time cannot hold an attempt, a pass or a claim: every
attempt has a deadline on the whole of it, and a pass ends before its lease runs out, so no
other worker takes its deliveries meanwhile and nothing is sent twice."""

import time

import pytest

from tests.webhooks.conftest import DrippingReceiver, PromptReceiver
from webhooks import events
from webhooks.delivery import (
    LEASE,
    PASS_BUDGET_SECONDS,
    SENDERS,
    TIMEOUT_SECONDS,
    deliveries_run,
)
from webhooks.models import Delivery, DeliveryStatus
from webhooks.outbox import event_emit
from webhooks.transport import Channel

pytestmark = pytest.mark.django_db


def _lost():
    return {"account": {"id": 1, "external_id": "", "name": "Northwind Freight"}}


def test_a_receiver_answering_a_byte_at_a_time_is_cut_off_at_the_deadline(
    register, dripping_receiver
):
    register(dripping_receiver.url_for("/hooks"))
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost())

    started = time.monotonic()
    report = deliveries_run(timeout=1.0)
    took = time.monotonic() - started

    assert took < 2.0  # the whole answer would take 14 s
    assert report.retrying == 1
    delivery = Delivery.objects.get()
    assert delivery.error == "No answer within 1 second."
    assert delivery.status == DeliveryStatus.PENDING and delivery.response_status is None
    assert dripping_receiver.paths == ["/hooks"]


def test_a_receiver_stalling_inside_its_status_line_has_not_answered(register):
    # Cut off after "HTTP/1.1 200 ", the line would read as a success with no reason phrase.
    stalled = DrippingReceiver(pause=60, head=b"HTTP/1.1 200 ")
    try:
        register(stalled.url_for("/hooks"))
        event_emit(kind=events.ACCOUNT_LOST, payload=_lost())

        report = deliveries_run(timeout=0.5)
    finally:
        stalled.stop()

    assert (report.delivered, report.retrying) == (0, 1)
    delivery = Delivery.objects.get()
    assert delivery.error == "No answer within 0.5 seconds."
    assert delivery.status == DeliveryStatus.PENDING and delivery.response_status is None


def test_with_more_slow_endpoints_than_senders_a_pass_ends_at_its_budget_and_sends_nothing_twice(
    register, dripping_receiver
):
    paths = [f"/hooks/{n}" for n in range(SENDERS + 2)]
    for path in paths:
        register(dripping_receiver.url_for(path))
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost())

    # The budget leaves the first senders a whole second to start, however busy the machine;
    # the attempt outlasts it, so the endpoints left waiting for a sender find it spent.
    budget, timeout = 1.0, 2.0
    started = time.monotonic()
    first = deliveries_run(timeout=timeout, budget=budget)
    took = time.monotonic() - started
    # The two endpoints that waited for a sender found the budget spent: back in the queue.
    second = deliveries_run(timeout=timeout, budget=budget)

    assert took < budget + timeout + 0.7  # the budget and one attempt, not one per endpoint
    assert (first.retrying, first.put_back) == (SENDERS, 2)
    assert (second.claimed, second.retrying) == (2, 2)  # the others are not due for 5 s
    assert sorted(dripping_receiver.paths) == sorted(paths)  # each endpoint once
    # With the worker's own figures, a pass always ends before its claim lets go.
    assert LEASE.total_seconds() > PASS_BUDGET_SECONDS + TIMEOUT_SECONDS + 20


def test_a_watchdog_that_fires_after_its_attempt_ended_cuts_no_later_attempt():
    # The first attempt's watchdog, had it fired just as that attempt ended, going off while
    # the next attempt on the same connection waits for its answer.
    channel: Channel
    first_attempt: list[int] = []

    def on_request(n: int) -> None:
        if n == 1:
            first_attempt.append(channel._attempt)  # the attempt the first watchdog belongs to
        else:
            channel._cut_off(first_attempt[0])

    receiver = PromptReceiver(on_request=on_request)
    channel = Channel(receiver.url_for("/hooks"))
    try:
        first = channel.post(b"{}", {"content-type": "application/json"}, timeout=5)
        second = channel.post(b"{}", {"content-type": "application/json"}, timeout=5)
    finally:
        channel.close()
        receiver.stop()

    assert (first.status, second.status) == (204, 204)
    assert (receiver.requests, receiver.connections) == (2, 1)  # both over one connection
