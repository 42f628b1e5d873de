"""Giving an account to another manager (sales lead), with any value."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.forms.strategies import FUZZ, classic_cases, fuzz, with_refs
from tests.forms.support import (
    EVIDENCE,
    accepted,
    assert_explained,
    payload,
    rolled_back,
    rows,
    submitted,
)


@FUZZ
@classic_cases("owner", htmx=True)
@given(changes=fuzz("owner", values=with_refs("bob", "lena", "alice")), htmx=st.booleans())
def test_reassigning_to_any_value_hands_the_account_to_a_manager_or_explains(
    client, alice, bob, lena, alices_account, changes, htmx
):
    """Only an account manager can receive the account; anything else is explained and the
    owner stays."""
    data = payload({"owner": bob.pk}, changes, {"bob": bob.pk, "lena": lena.pk, "alice": alice.pk})
    with rolled_back():
        response, before = submitted(
            client, lena, reverse("account-owner", args=[alices_account.pk]), data, htmx=htmx
        )
        alices_account.refresh_from_db()
        if accepted(response):
            assert alices_account.owner in (alice, bob)
        else:
            assert_explained(response, response.context["owner_form"])
            assert alices_account.owner == alice
            assert rows(*EVIDENCE) == before
