"""Signing in, with any credentials."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.urls import reverse
from hypothesis import given

from tests.forms.strategies import FUZZ, classic_cases, fuzz
from tests.forms.support import (
    PASSWORD,
    assert_answered,
    assert_explained,
    payload,
    rolled_back,
    sent,
)


@FUZZ
@classic_cases("username", "password", "next")
@given(changes=fuzz("username", "password", "next"))
def test_signing_in_with_any_credentials_answers_and_explains_a_refusal(client, alice, changes):
    """Sign-in either lets Alice in with her real password or says why not."""
    data = payload({"username": "alice", "password": PASSWORD, "next": "/dashboard/"}, changes)
    with rolled_back():
        response = client.post(reverse("login"), data)

        assert_answered(response, 403, 429)
        signed_in = "_auth_user_id" in client.session
        if response.status_code == 302:
            assert signed_in
            assert (sent(data, "username"), sent(data, "password")) == ("alice", PASSWORD)
            target = urlsplit(response["Location"])
            assert (target.scheme, target.netloc) == ("", "")  # never off to another site
        else:
            assert not signed_in
            if response.status_code == 200:
                assert_explained(response, response.context["form"])
        client.logout()
