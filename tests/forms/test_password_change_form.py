"""Changing one's password, with any input."""

from __future__ import annotations

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
@classic_cases("old_password", "new_password1")
@given(changes=fuzz("old_password", "new_password1", "new_password2"))
def test_a_password_change_takes_any_input_and_keeps_the_old_password_when_refused(
    client, alice, changes
):
    """A refused password change shows why and leaves the password as it was."""
    new = "a fresh long passphrase"
    valid = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    data = payload(valid, changes)
    with rolled_back():
        alice.refresh_from_db()  # an earlier example's change was rolled back
        client.force_login(alice)
        response = client.post(reverse("password_change"), data)

        assert_answered(response)
        alice.refresh_from_db()
        if response.status_code == 302:
            assert response["Location"] == reverse("password_change_done")
            assert alice.check_password(sent(data, "new_password1"))
        else:
            assert_explained(response, response.context["form"])
            assert alice.check_password(PASSWORD)
