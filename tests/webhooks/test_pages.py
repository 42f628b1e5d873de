"""The webhooks pages, for scoring admins: register, the secret once, test, log, permissions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from webhooks import events
from webhooks.delivery import deliveries_run
from webhooks.forms import URL_MESSAGE
from webhooks.models import Delivery, Endpoint, Event
from webhooks.outbox import events_emit

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def signed_in_sam(client, sam):
    client.force_login(sam)
    return client


def _add(client, **fields):
    data = {"url": "https://bi.example/hooks", "events": [events.STAGE_CHANGED]}
    data.update(fields)
    return client.post(reverse("webhook-list"), data)


@pytest.mark.parametrize("persona", ["alice", "lena"])
def test_managers_and_sales_leads_cannot_reach_the_webhooks_pages(
    client, request, persona, receiver_endpoint
):
    client.force_login(request.getfixturevalue(persona))
    one = receiver_endpoint.pk
    for name, args in [("webhook-list", []), ("webhook-endpoint", [one])]:
        assert client.get(reverse(name, args=args)).status_code == 403
    for name in ("webhook-endpoint", "webhook-enable", "webhook-test", "webhook-delete"):
        assert client.post(reverse(name, args=[one]), {"enabled": "0"}).status_code == 403
    assert _add(client).status_code == 403
    assert Endpoint.objects.count() == 1 and Endpoint.objects.get().is_enabled
    assert not Event.objects.exists()


def test_the_header_links_admins_to_the_webhooks_page_and_no_one_else(client, sam, alice):
    client.force_login(sam)
    assert reverse("webhook-list") in client.get(reverse("home")).content.decode()
    client.force_login(alice)
    assert reverse("webhook-list") not in client.get(reverse("home")).content.decode()


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(signed_in_sam):
    response = _add(
        signed_in_sam,
        events=[events.STAGE_CHANGED, events.ACCOUNT_LOST],
        description="The BI warehouse",
    )

    endpoint = Endpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("webhook-endpoint", args=[endpoint.pk])
    assert endpoint.events == [events.STAGE_CHANGED, events.ACCOUNT_LOST]
    assert endpoint.secret.startswith("whsec_") and endpoint.is_enabled
    first = signed_in_sam.get(response["Location"]).content.decode()
    assert endpoint.secret in first and "shown once" in first
    again = signed_in_sam.get(response["Location"]).content.decode()
    assert endpoint.secret not in again
    listed = signed_in_sam.get(reverse("webhook-list")).content.decode()
    assert "https://bi.example/hooks" in listed and "The BI warehouse" in listed
    assert endpoint.secret not in listed


@pytest.mark.parametrize(
    "url",
    ["ftp://files.example/hooks", "not an address", "javascript:alert(1)", "https://"],
)
def test_a_bad_url_is_named_next_to_its_field_and_nothing_is_saved(signed_in_sam, url):
    response = _add(signed_in_sam, url=url)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_url_error"' in page and escape(URL_MESSAGE) in page
    assert not Endpoint.objects.exists()


def test_an_endpoint_without_events_is_refused_with_a_message(signed_in_sam):
    response = _add(signed_in_sam, events=[])

    assert "Choose at least one event to send." in response.content.decode()
    assert not Endpoint.objects.exists()


def test_an_admin_changes_the_url_and_events_and_the_secret_stays(signed_in_sam, register):
    endpoint = register("https://bi.example/hooks")
    secret = endpoint.secret

    signed_in_sam.post(
        reverse("webhook-endpoint", args=[endpoint.pk]),
        {"url": "https://bi.example/v2/hooks", "events": [events.ACCOUNT_LOST]},
    )

    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.secret) == (
        "https://bi.example/v2/hooks",
        [events.ACCOUNT_LOST],
        secret,
    )


def test_the_test_button_queues_a_signed_event_the_log_then_shows_delivered(
    signed_in_sam, httpserver, receiver_endpoint
):
    httpserver.expect_request("/hooks").respond_with_data("ok")
    page_url = reverse("webhook-endpoint", args=[receiver_endpoint.pk])

    response = signed_in_sam.post(reverse("webhook-test", args=[receiver_endpoint.pk]))

    assert response.status_code == 302
    waiting = signed_in_sam.get(page_url).content.decode()
    assert "A test event is queued" in waiting and "1 waiting to be sent" in waiting
    assert 'hx-trigger="every 3s"' in waiting  # the log refreshes itself meanwhile
    deliveries_run()
    (request, _), *_ = httpserver.log
    assert request.get_json()["type"] == "webhook.test"
    log = signed_in_sam.get(page_url, **HTMX).content.decode()
    assert "<h1" not in log  # the log alone
    assert "webhook.test" in log and "Delivered" in log and ">200<" in log
    assert "every 3s" not in log  # nothing left to wait for


def test_the_log_shows_a_failure_in_words_with_its_attempts_and_next_try(
    signed_in_sam, httpserver, receiver_endpoint
):
    httpserver.expect_request("/hooks").respond_with_data("maintenance", status=503)
    events_emit(kind=events.ACCOUNT_LOST, payloads=[{"account": {"id": 1}}])
    deliveries_run()

    log = signed_in_sam.get(
        reverse("webhook-endpoint", args=[receiver_endpoint.pk]), **HTMX
    ).content.decode()

    assert "account.lost" in log and "Waiting" in log
    assert "HTTP 503 Service Unavailable" in log and "maintenance" not in log
    assert ">503<" in log and ">1<" in log  # one attempt so far
    assert 'data-label="Next attempt"><time' in log


def test_disabling_stops_new_events_and_enabling_brings_them_back(signed_in_sam, register):
    endpoint = register("https://bi.example/hooks")
    enable = reverse("webhook-enable", args=[endpoint.pk])

    signed_in_sam.post(enable, {"enabled": "0"})
    events_emit(kind=events.ACCOUNT_LOST, payloads=[{"n": 1}])
    assert not Event.objects.exists()
    signed_in_sam.post(enable, {"enabled": "1"})
    events_emit(kind=events.ACCOUNT_LOST, payloads=[{"n": 2}])

    assert Delivery.objects.filter(endpoint=endpoint).count() == 1


def test_deleting_an_endpoint_takes_its_log_and_queued_events(signed_in_sam, register):
    endpoint = register("https://bi.example/hooks")
    events_emit(kind=events.ACCOUNT_LOST, payloads=[{"n": 1}])

    response = signed_in_sam.post(reverse("webhook-delete", args=[endpoint.pk]))

    assert response["Location"] == reverse("webhook-list")
    assert not Endpoint.objects.exists() and not Event.objects.exists()


def test_the_pages_cost_the_same_queries_however_long_the_log(signed_in_sam, register):
    endpoint = register("https://bi.example/hooks")
    register("https://erp.example/hooks")
    counts = []
    for more in (2, 120):
        events_emit(kind=events.ACCOUNT_LOST, payloads=({"n": n} for n in range(more)))
        with CaptureQueriesContext(connection) as captured:
            signed_in_sam.get(reverse("webhook-endpoint", args=[endpoint.pk]))
            signed_in_sam.get(reverse("webhook-list"))
        counts.append(len(captured))

    assert counts[0] == counts[1]
