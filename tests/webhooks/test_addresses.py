"""Webhook URLs cannot reach this server, cloud metadata or (unless allowed) private networks,
neither when registered nor when sent, and the log does not repeat what a receiver answers."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from webhooks import events
from webhooks.delivery import deliveries_run
from webhooks.forms import PORT_MESSAGE
from webhooks.models import Delivery, Endpoint
from webhooks.outbox import event_emit

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in_sam(client, sam, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False  # as in production
    client.force_login(sam)
    return client


def _add(client, url):
    return client.post(reverse("webhook-list"), {"url": url, "events": [events.ACCOUNT_LOST]})


def _field_error(response):
    page = response.content.decode()
    assert response.status_code == 200 and 'id="id_url_error"' in page
    return page


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:8000/hooks", "127.0.0.1 is this server itself (loopback)"),
        ("http://localhost:5432/", "is this server itself (loopback)"),
        ("http://[::1]/hooks", "::1 is this server itself (loopback)"),
        ("http://[::ffff:127.0.0.1]/hooks", "is this server itself (loopback)"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is link-local, where cloud metadata services answer",
        ),
        ("http://[fe80::1]/hooks", "fe80::1 is link-local"),
        ("http://0.0.0.0:8000/hooks", "0.0.0.0 is not an address to send to"),
        (
            "http://10.0.0.5/hooks",
            "10.0.0.5 is on a private network, and WEBHOOK_ALLOW_PRIVATE_NETWORKS is off",
        ),
        ("https://192.168.1.10/hooks", "192.168.1.10 is on a private network"),
        ("http://[fd00::5]/hooks", "fd00::5 is on a private network"),
    ],
)
def test_an_internal_address_is_refused_by_its_field_and_nothing_is_saved(
    signed_in_sam, url, words
):
    page = _field_error(_add(signed_in_sam, url))

    assert escape("Webhooks are not sent there: ") in page and escape(words) in page
    assert not Endpoint.objects.exists()


def test_private_networks_are_let_in_by_the_setting_and_loopback_and_metadata_never(
    signed_in_sam, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True

    assert _add(signed_in_sam, "http://10.0.0.5/hooks").status_code == 302
    assert _add(signed_in_sam, "https://192.168.1.10/hooks").status_code == 302
    _field_error(_add(signed_in_sam, "http://127.0.0.1/hooks"))
    _field_error(_add(signed_in_sam, "http://169.254.169.254/latest/meta-data/"))
    assert sorted(Endpoint.objects.values_list("url", flat=True)) == [
        "http://10.0.0.5/hooks",
        "https://192.168.1.10/hooks",
    ]


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/x", "https://bi.example:0/hooks"])
def test_a_port_out_of_range_is_refused_by_its_field(signed_in_sam, url):
    page = _field_error(_add(signed_in_sam, url))

    assert escape(PORT_MESSAGE) in page
    assert not Endpoint.objects.exists()


def test_a_name_that_resolves_to_this_server_by_the_time_of_sending_is_not_sent_to(
    register, httpserver, settings
):
    # Registered while the name pointed elsewhere; now it points here (DNS rebinding).
    httpserver.expect_request("/hooks").respond_with_data("ok")
    register(f"http://localhost:{httpserver.port}/hooks")
    event_emit(kind=events.ACCOUNT_LOST, payload={"account": {"id": 1}})
    settings.WEBHOOK_ALLOW_LOOPBACK = False

    report = deliveries_run()

    assert report.retrying == 1 and httpserver.log == []
    delivery = Delivery.objects.get()
    assert delivery.error.startswith("Not sent: localhost (")
    assert delivery.error.endswith(" is this server itself (loopback).")
    assert delivery.response_status is None


def test_a_private_address_is_not_sent_to_while_the_setting_is_off(register):
    register("http://10.255.255.1/hooks")  # registered while private networks were allowed
    event_emit(kind=events.ACCOUNT_LOST, payload={"account": {"id": 1}})

    deliveries_run(timeout=2.0)

    assert Delivery.objects.get().error == (
        "Not sent: 10.255.255.1 is on a private network, and WEBHOOK_ALLOW_PRIVATE_NETWORKS is off."
    )


def test_the_log_keeps_a_refusals_status_and_not_what_the_receiver_said(
    client, sam, httpserver, receiver_endpoint
):
    httpserver.expect_request("/hooks").respond_with_data(
        "postgres: authentication failed for user pgadmin", status=500
    )
    event_emit(kind=events.ACCOUNT_LOST, payload={"account": {"id": 1}})

    deliveries_run()

    assert Delivery.objects.get().error == "HTTP 500 Internal Server Error"
    client.force_login(sam)
    page = client.get(reverse("webhook-endpoint", args=[receiver_endpoint.pk])).content.decode()
    assert "HTTP 500 Internal Server Error" in page and "pgadmin" not in page
