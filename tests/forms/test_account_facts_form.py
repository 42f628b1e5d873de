"""The account's facts and plan, with any input."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Account
from tests.forms.strategies import FUZZ, classic_cases, fuzz
from tests.forms.support import (
    EVIDENCE,
    HTMX,
    accepted,
    assert_answered,
    assert_explained,
    days_ago,
    payload,
    rolled_back,
    rows,
    sent,
)

FACT_FIELDS = (
    "mission",
    "partnership_potential",
    "pressures",
    "objective",
    "next_step",
    "next_step_due",
)


def _facts_state(account: Account) -> tuple:
    account.refresh_from_db()
    pressures = list(account.pressures.values_list("description", flat=True))
    plan = (account.objective, account.next_step, account.next_step_due)
    return account.mission, account.partnership_potential, pressures, plan


@FUZZ
@classic_cases(*FACT_FIELDS, htmx=True)
@given(changes=fuzz(*FACT_FIELDS), htmx=st.booleans())
def test_account_facts_take_any_input_and_save_all_of_it_or_none(
    client, alice, alices_account, changes, htmx
):
    """Facts and the plan are saved together, or refused with a message and left as they
    were."""
    valid = {
        "mission": "Move freight carbon-free by 2030",
        "partnership_potential": "could_partner",
        "pressures": "Fuel prices\nNew EU rules",
        "objective": "Join their planning cycle",
        "next_step": "Share the fuel-price outlook",
        "next_step_due": days_ago(-7),
    }
    data = payload(valid, changes)
    with rolled_back():
        client.force_login(alice)
        before, state = rows(*EVIDENCE), _facts_state(alices_account)

        response = client.post(
            reverse("account-facts", args=[alices_account.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        if accepted(response):
            mission, potential, pressures, plan = _facts_state(alices_account)
            assert mission == sent(data, "mission").strip()
            assert potential == sent(data, "partnership_potential")
            assert all(0 < len(p) <= 200 for p in pressures)
            objective, next_step, due = plan
            assert objective == sent(data, "objective").strip()
            assert next_step == sent(data, "next_step").strip()
            assert due is None or next_step
        else:
            assert_explained(response, response.context["facts_form"])
            assert rows(*EVIDENCE) == before
            assert _facts_state(alices_account) == state
