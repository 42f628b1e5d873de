"""Adding a contact, with any input."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from relationships.models import Contact
from tests.forms.strategies import FUZZ, classic_cases, fuzz
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
@classic_cases("name", "title", "role", htmx=True)
@given(changes=fuzz("name", "title", "role", "is_champion"), htmx=st.booleans())
def test_adding_a_contact_with_any_input_adds_one_or_explains_and_adds_none(
    client, alice, alices_account, changes, htmx
):
    """A contact is added with its audit entry, or refused with a message and not added."""
    valid = {"name": "Dana Reyes", "title": "COO", "role": "decision_maker", "is_champion": "on"}
    data = payload(valid, changes)
    with rolled_back():
        response, before = submitted(
            client, alice, reverse("contact-new", args=[alices_account.pk]), data, htmx=htmx
        )
        after = rows(*EVIDENCE)
        if accepted(response):
            assert after["Contact"] == before["Contact"] + 1
            assert after["AuditEntry"] == before["AuditEntry"] + 1
            assert Contact.objects.latest("pk").name.strip()
        else:
            assert_explained(response, response.context["contact_form"])
            assert after == before
