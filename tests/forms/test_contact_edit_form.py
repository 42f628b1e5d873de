"""Editing a contact, with any input."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from relationships.models import Contact
from tests.forms.strategies import FUZZ, classic_cases, fuzz, with_refs
from tests.forms.support import (
    EVIDENCE,
    accepted,
    assert_explained,
    payload,
    rolled_back,
    rows,
    sent,
    submitted,
)

FIELDS = ("name", "title", "email", "phone", "role", "is_champion", "reports_to")


def _state(contact: Contact) -> tuple:
    contact.refresh_from_db()
    return (
        contact.name,
        contact.title,
        contact.email,
        contact.phone,
        contact.role,
        contact.is_champion,
        contact.reports_to_id,
    )


@FUZZ
@classic_cases(*FIELDS, htmx=False)
@given(
    changes=fuzz(*FIELDS, values=with_refs("self", "colleague", "stranger", "colleague_email")),
    htmx=st.booleans(),
)
def test_editing_a_contact_with_any_input_saves_all_of_it_or_none(
    client, alice, alices_account, contact, bobs_contact, changes, htmx
):
    """The contact is saved whole (a manager of the same client, an address nobody else there
    has), or the edit is explained and nothing changes."""
    colleague, _ = Contact.objects.get_or_create(
        account=alices_account, email="ola@northwind.example", defaults={"name": "Ola"}
    )
    refs = {
        "self": contact.pk,
        "colleague": colleague.pk,
        "stranger": bobs_contact.pk,
        "colleague_email": "OLA@northwind.example",
    }
    valid = {
        "name": "Dana Reyes",
        "title": "COO",
        "email": "dana@northwind.example",
        "phone": "+44 20 7946 0000",
        "role": "economic_buyer",
        "is_champion": "on",
        "reports_to": colleague.pk,
    }
    data = payload(valid, changes, refs)
    with rolled_back():
        state = _state(contact)
        response, before = submitted(
            client, alice, reverse("contact-edit", args=[contact.pk]), data, htmx=htmx
        )
        if accepted(response):
            name, _, email, _, role, champion, manager = _state(contact)
            assert name == sent(data, "name").strip()
            assert manager in (None, colleague.pk)
            assert email.lower() != "ola@northwind.example"
            assert not (role == "blocker" and champion)
        else:
            assert_explained(response, response.context["form"])
            assert rows(*EVIDENCE) == before
            assert _state(contact) == state
