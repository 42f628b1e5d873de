"""Delivering the outbox to a real receiver on loopback: signed, retried, given up."""

import datetime
import json
import time

import pytest
from django.core.management import call_command
from standardwebhooks.webhooks import Webhook
from werkzeug import Response

from webhooks import events
from webhooks.delivery import (
    BATCH,
    LEASE,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    deliveries_claim,
    deliveries_prune,
    deliveries_run,
)
from webhooks.models import Delivery, DeliveryStatus, Event
from webhooks.outbox import event_emit, events_emit

T0 = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


def _lost(name="Northwind Freight", account_id=1):
    return {"account": {"id": account_id, "external_id": "", "name": name}, "reason": "price"}


def test_the_receiver_gets_a_signed_event_the_standard_library_verifies(
    httpserver, receiver_endpoint
):
    httpserver.expect_request("/hooks", method="POST").respond_with_data("thanks")
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost(), now=T0)

    report = deliveries_run()

    assert report.delivered == 1
    (request, _response), *_ = httpserver.log
    body = request.get_data(as_text=True)
    verified = Webhook(receiver_endpoint.secret).verify(body, dict(request.headers))
    assert verified["type"] == "account.lost"
    assert verified["timestamp"] == "2026-11-20T09:00:00Z"
    assert verified["data"]["account"]["name"] == "Northwind Freight"
    assert request.headers["webhook-id"] == Event.objects.get().webhook_id
    assert request.headers["content-type"] == "application/json"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.error) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
        "",
    )
    assert delivery.next_attempt_at is None


def test_a_signature_made_with_another_secret_is_refused_by_the_receiver(
    httpserver, receiver_endpoint
):
    httpserver.expect_request("/hooks").respond_with_data("thanks")
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost())
    deliveries_run()

    (request, _response), *_ = httpserver.log
    someone_else = Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=")
    with pytest.raises(Exception, match="No matching signature"):
        someone_else.verify(request.get_data(as_text=True), dict(request.headers))


def test_a_500_is_retried_after_the_backoff_and_then_delivered_with_the_same_id(
    httpserver, receiver_endpoint
):
    httpserver.expect_oneshot_request("/hooks").respond_with_data("database down", status=500)
    httpserver.expect_request("/hooks").respond_with_data("ok")
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost(), now=T0)

    first = deliveries_run(now=T0)
    delivery = Delivery.objects.get()
    assert first.retrying == 1
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.response_status == 500
    assert delivery.error == "HTTP 500 Internal Server Error"
    assert delivery.next_attempt_at == T0 + RETRY_DELAYS[0]

    assert deliveries_run(now=T0 + RETRY_DELAYS[0] - datetime.timedelta(seconds=1)).claimed == 0
    second = deliveries_run(now=T0 + RETRY_DELAYS[0])

    assert second.delivered == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("delivered", 2, "")
    ids = {request.headers["webhook-id"] for request, _ in httpserver.log}
    assert len(httpserver.log) == 2 and len(ids) == 1


def test_backoff_follows_the_schedule_and_gives_up_after_the_last_attempt(
    httpserver, receiver_endpoint
):
    httpserver.expect_request("/hooks").respond_with_data("no", status=503)
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost(), now=T0)

    now, waits = T0, []
    for _ in range(MAX_ATTEMPTS):
        deliveries_run(now=now)
        delivery = Delivery.objects.get()
        if delivery.next_attempt_at is None:
            break
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at

    assert waits == list(RETRY_DELAYS)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert len(httpserver.log) == MAX_ATTEMPTS
    assert deliveries_run(now=now + datetime.timedelta(days=1)).claimed == 0


def test_an_unreachable_endpoint_costs_one_attempt_and_its_other_events_wait_with_it(
    register, closed_port_url
):
    register(closed_port_url)
    events_emit(kind=events.ACCOUNT_LOST, payloads=[_lost(), _lost(), _lost()], now=T0)

    report = deliveries_run(now=T0)

    assert (report.retrying, report.put_back) == (1, 2)
    tried, *waiting = Delivery.objects.order_by("pk")
    assert tried.attempts == 1 and tried.response_status is None
    assert tried.error.startswith("Could not connect: ")
    assert "refused" in tried.error.lower()
    assert all(d.attempts == 0 and d.next_attempt_at == tried.next_attempt_at for d in waiting)


def test_a_receiver_too_slow_to_answer_times_out(httpserver, receiver_endpoint):
    def slow(request):
        time.sleep(0.5)
        return Response("late")

    httpserver.expect_request("/hooks").respond_with_handler(slow)
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost())

    deliveries_run(timeout=0.1)

    assert Delivery.objects.get().error == "No answer within 0.1 seconds."
    _wait_for(lambda: httpserver.log)  # the receiver finishes, so the next test starts clean


def _wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_redirect_is_not_followed_and_says_where_it_pointed(httpserver, receiver_endpoint):
    httpserver.expect_request("/hooks").respond_with_data(
        "", status=301, headers={"Location": "https://elsewhere.example/hooks"}
    )
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost())

    deliveries_run()

    delivery = Delivery.objects.get()
    assert delivery.response_status == 301 and delivery.status == DeliveryStatus.PENDING
    assert "register https://elsewhere.example/hooks" in delivery.error
    assert len(httpserver.log) == 1


def test_a_disabled_endpoint_keeps_its_queued_events_until_it_is_enabled_again(
    httpserver, receiver_endpoint
):
    httpserver.expect_request("/hooks").respond_with_data("ok")
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost())
    receiver_endpoint.is_enabled = False
    receiver_endpoint.save()

    assert deliveries_run().claimed == 0
    receiver_endpoint.is_enabled = True
    receiver_endpoint.save()

    assert deliveries_run().delivered == 1


def test_a_claimed_delivery_is_left_to_its_worker_until_the_lease_runs_out(receiver_endpoint):
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost(), now=T0)

    assert len(deliveries_claim(now=T0, limit=10)) == 1
    assert deliveries_claim(now=T0 + LEASE - datetime.timedelta(seconds=1), limit=10) == []
    # A worker that died mid-send leaves the delivery to the next one.
    assert len(deliveries_claim(now=T0 + LEASE, limit=10)) == 1


def test_each_endpoint_gets_its_own_copy_and_a_failing_one_does_not_hold_up_the_other(
    httpserver, register, closed_port_url
):
    httpserver.expect_request("/hooks").respond_with_data("ok")
    register(httpserver.url_for("/hooks"))
    register(closed_port_url)
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost())

    report = deliveries_run()

    assert (report.delivered, report.retrying) == (1, 1)
    assert len(httpserver.log) == 1


def test_the_command_sends_everything_due_in_as_many_passes_as_it_takes(
    httpserver, receiver_endpoint
):
    httpserver.expect_request("/hooks").respond_with_data("ok")
    count = BATCH + 50
    events_emit(
        kind=events.ACCOUNT_LOST,
        payloads=(_lost(f"Client {n}", n) for n in range(count)),
    )

    call_command("deliver_webhooks", stdout=(out := _Text()))

    assert f"Delivered {count}," in out.text
    assert len(httpserver.log) == count
    names = {json.loads(r.get_data())["data"]["account"]["name"] for r, _ in httpserver.log}
    assert len(names) == count
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()


def test_old_finished_deliveries_are_forgotten_and_waiting_ones_kept(httpserver, receiver_endpoint):
    httpserver.expect_request("/hooks").respond_with_data("ok")
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost(), now=T0)
    deliveries_run(now=T0)
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost())  # not sent yet

    assert deliveries_prune(now=T0 + datetime.timedelta(days=31)) == 1

    assert list(Delivery.objects.values_list("status", flat=True)) == ["pending"]
    assert Event.objects.count() == 1


class _Text:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_the_delivery_loop_of_the_worker_sends_without_being_asked(
    httpserver, receiver_endpoint, transactional_db
):
    from webhooks.delivery import DeliveryLoop

    httpserver.expect_request("/hooks").respond_with_data("ok")
    event_emit(kind=events.ACCOUNT_LOST, payload=_lost())
    loop = DeliveryLoop(interval=0.05)
    loop.start()
    try:
        _wait_for(lambda: httpserver.log)
    finally:
        loop.stop()
        loop.join(5)

    assert len(httpserver.log) == 1
    assert not loop.is_alive()
