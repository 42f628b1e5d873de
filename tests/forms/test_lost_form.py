"""Marking an account lost (a sales lead), with any input."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.forms.strategies import FUZZ, classic_cases, fuzz
from tests.forms.support import (
    EVIDENCE,
    accepted,
    assert_explained,
    days_ago,
    payload,
    rolled_back,
    rows,
    submitted,
)


@FUZZ
@classic_cases("lost_on", "reason", "note", htmx=False)
@given(changes=fuzz("lost_on", "reason", "note"), htmx=st.booleans())
def test_marking_lost_with_any_input_closes_the_account_or_explains(
    client, lena, alices_account, changes, htmx
):
    """The account is lost on a past day for a listed reason, or stays active with a message."""
    data = payload({"lost_on": days_ago(3), "reason": "price", "note": "Cheaper bid."}, changes)
    url = reverse("account-lost", args=[alices_account.pk])
    with rolled_back():
        response, before = submitted(client, lena, url, data, htmx=htmx)
        alices_account.refresh_from_db()
        if accepted(response):
            assert alices_account.status == "lost"
            assert alices_account.lost_on is not None
            assert datetime.date(1970, 1, 1) <= alices_account.lost_on <= timezone.localdate()
            assert alices_account.lost_reason
        else:
            assert_explained(response, response.context["form"])
            assert alices_account.status == "active"
            assert rows(*EVIDENCE) == before
