"""A contact leaving, on any date."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.forms.strategies import FUZZ, classic_cases, fuzz
from tests.forms.support import (
    EVIDENCE,
    HTMX,
    accepted,
    assert_answered,
    days_ago,
    payload,
    rolled_back,
    rows,
)


@FUZZ
@classic_cases("left_on", htmx=True)
@given(changes=fuzz("left_on"), htmx=st.booleans())
def test_a_contact_leaving_on_any_date_is_recorded_or_explained_and_not_written(
    client, alice, contact, changes, htmx
):
    """A leaving date is recorded with its audit entry, or refused next to the contact."""
    data = payload({"left_on": days_ago(2)}, changes)
    with rolled_back():
        client.force_login(alice)
        before = rows(*EVIDENCE)

        response = client.post(
            reverse("contact-left", args=[contact.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        after = rows(*EVIDENCE)
        contact.refresh_from_db()
        if accepted(response):
            assert contact.left_on is not None and contact.left_on <= timezone.localdate()
            assert after["AuditEntry"] == before["AuditEntry"] + 1
        else:
            assert response.status_code == 200
            shown = re.search(r'<p class="error">([^<]+)</p>', response.content.decode())
            assert shown, "refused without a message"
            assert contact.left_on is None
            assert after == before
