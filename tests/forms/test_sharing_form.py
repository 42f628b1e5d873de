"""Sharing an account with other managers (sales lead), with any value."""

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
@classic_cases("shared_with", htmx=True)
@given(changes=fuzz("shared_with", values=with_refs("bob", "lena", "alice")), htmx=st.booleans())
def test_sharing_with_any_value_shares_with_managers_or_explains(
    client, alice, bob, lena, alices_account, changes, htmx
):
    """An account is shared with account managers only; anything else is explained and the
    sharing stays."""
    data = payload(
        {"shared_with": [bob.pk]}, changes, {"bob": bob.pk, "lena": lena.pk, "alice": alice.pk}
    )
    with rolled_back():
        response, before = submitted(
            client, lena, reverse("account-sharing", args=[alices_account.pk]), data, htmx=htmx
        )
        shared = set(alices_account.shared_with.all())
        if accepted(response):
            assert shared <= {bob}
        else:
            assert_explained(response, response.context["sharing_form"])
            assert shared == set()
            assert rows(*EVIDENCE) == before
