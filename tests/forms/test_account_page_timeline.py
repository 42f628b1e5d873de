"""The account page's timeline pages and panels (GET parameters), with any value."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from hypothesis import given

from pages.views.account import PANELS
from tests.factories import InteractionFactory
from tests.forms.strategies import FUZZ, classic_cases, fuzz
from tests.forms.support import HTMX, payload, rolled_back, sent


@FUZZ
@classic_cases("page", "panel")
@given(changes=fuzz("page", "panel"))
def test_the_account_page_takes_any_timeline_page(client, alice, alices_account, changes):
    """Scrolling the timeline with any page number answers with that page (empty past the
    end); only a panel the page does not have is a 404."""
    data = payload({"panel": "timeline-items", "page": "2"}, changes)
    with rolled_back():
        InteractionFactory(account=alices_account, occurred_on=timezone.localdate())
        client.force_login(alice)

        response = client.get(reverse("account-detail", args=[alices_account.pk]), data, **HTMX)

        panel = sent(data, "panel")
        assert response.status_code == (200 if not panel or panel in PANELS else 404)
