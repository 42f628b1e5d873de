"""The webhooks page's endpoint form (scoring admin): registering an endpoint, and changing
one."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given

from tests.forms.strategies import FUZZ, classic_cases, fuzz, with_refs
from tests.forms.support import (
    accepted,
    assert_answered,
    assert_explained,
    payload,
    rolled_back,
    rows,
    sent,
)
from webhooks.events import ACCOUNT_LOST, INTERACTION_CREATED, STAGE_CHANGED, TEST_EVENT
from webhooks.models import Delivery, Endpoint, Event
from webhooks.services import endpoint_create

WEBHOOK_ROWS = (Endpoint, Event, Delivery)
VALID = {
    "url": "https://bi.example/hooks",
    "events": [STAGE_CHANGED, ACCOUNT_LOST],
    "description": "The BI team's listener",
}
# Known event types among the hostile values: alone or several, and the test event, which
# only the "Send test event" button sends.
EVENTS = with_refs(STAGE_CHANGED, INTERACTION_CREATED, ACCOUNT_LOST, TEST_EVENT)


def _assert_kept_as_sent(endpoint: Endpoint, data) -> None:
    """What was saved is an http(s) address, known event types only, and the description as
    typed (trimmed)."""
    assert endpoint.url.startswith(("https://", "http://"))
    assert len(endpoint.url) <= 500
    assert endpoint.events
    assert set(endpoint.events) <= {STAGE_CHANGED, ACCOUNT_LOST, INTERACTION_CREATED}
    assert endpoint.description == sent(data, "description").strip()


@FUZZ
@classic_cases("url", "events", "description")
@given(changes=fuzz("url", "events", "description", values=EVENTS))
def test_registering_an_endpoint_with_any_input_registers_it_or_explains(client, sam, changes):
    """An endpoint is registered with a secret and its page opens, or the form is back with
    every message and nothing is registered."""
    data = payload(VALID, changes)
    with rolled_back():
        client.force_login(sam)
        before = rows(*WEBHOOK_ROWS)

        response = client.post(reverse("webhook-list"), data)

        assert_answered(response)
        after = rows(*WEBHOOK_ROWS)
        if accepted(response):
            added = Endpoint.objects.get()
            assert response["Location"] == reverse("webhook-endpoint", args=[added.pk])
            assert added.secret.startswith("whsec_") and added.is_enabled
            _assert_kept_as_sent(added, data)
            assert after == {**before, "Endpoint": before["Endpoint"] + 1}
        else:
            assert_explained(response, response.context["form"])
            assert after == before


@FUZZ
@classic_cases("url", "events", "description")
@given(changes=fuzz("url", "events", "description", values=EVENTS))
def test_changing_an_endpoint_with_any_input_saves_it_or_explains_and_keeps_it(
    client, sam, changes
):
    """A change is saved whole with the same secret, or the form is back with every message
    and the endpoint is as it was."""
    data = payload(VALID, changes)
    with rolled_back():
        endpoint = endpoint_create(
            url="https://erp.example/in", events=[INTERACTION_CREATED], actor=sam
        )
        client.force_login(sam)
        before = rows(*WEBHOOK_ROWS)

        response = client.post(reverse("webhook-endpoint", args=[endpoint.pk]), data)

        assert_answered(response)
        current = Endpoint.objects.get(pk=endpoint.pk)
        assert current.secret == endpoint.secret
        if accepted(response):
            _assert_kept_as_sent(current, data)
        else:
            assert_explained(response, response.context["form"])
            assert (current.url, current.events, current.description) == (
                endpoint.url,
                endpoint.events,
                endpoint.description,
            )
        assert rows(*WEBHOOK_ROWS) == before
