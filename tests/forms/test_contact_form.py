"""Adding a contact, with any input."""

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
    submitted,
)


@FUZZ
@classic_cases("name", "title", "email", "phone", "role", "reports_to", htmx=True)
@given(
    changes=fuzz(
        "name",
        "title",
        "email",
        "phone",
        "role",
        "is_champion",
        "reports_to",
        values=with_refs("colleague", "stranger", "dana_email"),
    ),
    htmx=st.booleans(),
)
def test_adding_a_contact_with_any_input_adds_one_or_explains_and_adds_none(
    client, alice, alices_account, contact, bobs_contact, changes, htmx
):
    """A contact is added with its audit entry, or refused with a message and not added: an
    email someone at the client has, a manager at another client, a phone with letters."""
    Contact.objects.filter(pk=contact.pk).update(email="dana@northwind.example")
    valid = {
        "name": "Ola Berg",
        "title": "COO",
        "email": "ola@northwind.example",
        "phone": "+46 8 123 45",
        "role": "decision_maker",
        "is_champion": "on",
        "reports_to": contact.pk,
    }
    refs = {
        "colleague": contact.pk,
        "stranger": bobs_contact.pk,
        "dana_email": "DANA@northwind.example",
    }
    data = payload(valid, changes, refs)
    with rolled_back():
        response, before = submitted(
            client, alice, reverse("contact-new", args=[alices_account.pk]), data, htmx=htmx
        )
        after = rows(*EVIDENCE)
        if accepted(response):
            assert after["Contact"] == before["Contact"] + 1
            assert after["AuditEntry"] == before["AuditEntry"] + 1
            added = Contact.objects.latest("pk")
            assert added.name.strip()
            assert added.reports_to_id in (None, contact.pk)
            assert added.email.lower() != "dana@northwind.example"
        else:
            assert_explained(response, response.context["contact_form"])
            assert after == before
