"""Opening an account (a sales lead) and editing its details (its manager), with any input."""

from __future__ import annotations

import re

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import DOMAIN_PATTERN, Account, AccountDomain
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

FIELDS = (
    "name",
    "industry",
    "owner",
    "annual_revenue",
    "partnership_potential",
    "external_id",
    "domains",
)
VALID = {
    "name": "Harbour Lines",
    "industry": "Shipping",
    "annual_revenue": "250000.50",
    "partnership_potential": "regular",
    "external_id": "CRM-1",
    "domains": "harbour.example\nHarbour-Lines.example",
}


def _state(account: Account) -> tuple:
    account.refresh_from_db()
    domains = sorted(account.domains.values_list("domain", flat=True))
    return account.name, account.industry, account.owner_id, account.annual_revenue, domains


@FUZZ
@classic_cases(*FIELDS, htmx=False)
@given(
    changes=fuzz(*FIELDS, values=with_refs("alice", "lena", "taken_id", "taken_domain")),
    htmx=st.booleans(),
)
def test_opening_an_account_with_any_input_opens_one_or_explains(
    client, lena, alice, bobs_account, changes, htmx
):
    """One active account with its domains and history entry, or a message and nothing."""
    bobs_account.external_id = "TAKEN"
    bobs_account.save()
    AccountDomain.objects.get_or_create(account=bobs_account, domain="bluepeak.example")
    refs = {
        "alice": alice.pk,
        "lena": lena.pk,
        "taken_id": "TAKEN",
        "taken_domain": "bluepeak.example",
    }
    data = payload({**VALID, "owner": alice.pk}, changes, refs)
    with rolled_back():
        response, before = submitted(client, lena, reverse("account-new"), data, htmx=htmx)
        after = rows(*EVIDENCE)
        if accepted(response):
            account = Account.objects.latest("pk")
            assert after["Account"] == before["Account"] + 1
            assert after["AuditEntry"] == before["AuditEntry"] + 1
            assert account.name == sent(data, "name").strip() and account.owner == alice
            assert account.status == "active" and account.annual_revenue >= 0
            for domain in account.domains.values_list("domain", flat=True):
                assert re.fullmatch(DOMAIN_PATTERN, domain), domain
            assert not account.domains.filter(domain="bluepeak.example").exists()
        else:
            assert_explained(response, response.context["form"])
            assert after == before


@FUZZ
@classic_cases(*FIELDS, htmx=False)
@given(changes=fuzz(*FIELDS, values=with_refs("bob", "taken_domain")), htmx=st.booleans())
def test_editing_details_with_any_input_saves_all_of_it_or_none(
    client, alice, bob, alices_account, bobs_account, changes, htmx
):
    """A manager's edit lands whole (never the owner), or is explained and changes nothing."""
    AccountDomain.objects.get_or_create(account=bobs_account, domain="bluepeak.example")
    data = payload(VALID, changes, {"bob": bob.pk, "taken_domain": "bluepeak.example"})
    url = reverse("account-details", args=[alices_account.pk])
    with rolled_back():
        state = _state(alices_account)
        response, before = submitted(client, alice, url, data, htmx=htmx)
        if accepted(response):
            name, _, owner_id, revenue, domains = _state(alices_account)
            assert name == sent(data, "name").strip()
            assert owner_id == alice.pk and revenue >= 0
            assert "bluepeak.example" not in domains
        else:
            assert_explained(response, response.context["form"])
            assert rows(*EVIDENCE) == before
            assert _state(alices_account) == state
