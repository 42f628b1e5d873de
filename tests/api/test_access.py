"""Each persona's token sees exactly what they see on the pages, and nothing of others'."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, api_for
from tests.factories import UserFactory


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def test_a_managers_token_lists_their_own_accounts_and_those_shared_with_them(book, as_alice):
    assert _names(as_alice.get("/accounts")) == ["Cedar Analytics", "Northwind Freight"]


def test_a_sales_leads_and_a_scoring_admins_token_list_the_whole_portfolio(book, as_lena, as_sam):
    everything = ["Bluepeak Foods", "Cedar Analytics", "Northwind Freight"]
    assert _names(as_lena.get("/accounts")) == everything
    assert _names(as_sam.get("/accounts")) == everything


def test_a_user_without_a_role_sees_no_account(book):
    assert _names(api_for(UserFactory(username="visitor")).get("/accounts")) == []


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/{id}",
        "/accounts/{id}/history",
        "/accounts/{id}/interactions",
        "/accounts/{id}/contacts",
    ],
)
def test_another_managers_account_is_not_found_whatever_is_asked(book, as_alice, path):
    response = as_alice.get(path.format(id=book["blue"].pk))
    assert response.status_code == 404
    # Exactly what an id nobody holds answers: its existence does not leak.
    assert response.json() == as_alice.get(path.format(id=999_999)).json()


def test_writing_on_another_managers_account_is_not_found(book, as_alice):
    response = as_alice.post(f"/accounts/{book['blue'].pk}/interactions", {"notes": "x"})
    assert response.status_code == 404
    response = as_alice.post(f"/accounts/{book['blue'].pk}/contacts", {"name": "Eve"})
    assert response.status_code == 404


def test_a_shared_account_opens_for_the_manager_it_is_shared_with(book, as_alice):
    response = as_alice.get(f"/accounts/{book['shared'].pk}")
    assert response.status_code == 200
    assert response.json()["owner"]["username"] == "bob"


def test_a_sales_lead_reads_any_account_but_logs_only_where_they_manage_it(book, as_lena):
    assert as_lena.get(f"/accounts/{book['blue'].pk}").status_code == 200
    response = as_lena.post(f"/accounts/{book['blue'].pk}/interactions", {"notes": "Lunch"})
    assert response.status_code == 403
    assert "manager" in response.json()["detail"]


def test_a_scoring_admin_reads_every_account_and_writes_on_none(book, as_sam):
    assert as_sam.get(f"/accounts/{book['north'].pk}/interactions").status_code == 200
    response = as_sam.post(f"/accounts/{book['north'].pk}/contacts", {"name": "Eve"})
    assert response.status_code == 403


def test_the_portfolio_export_is_for_sales_leads_and_scoring_admins(
    book, as_alice, as_lena, as_sam
):
    assert as_alice.get("/portfolio/export").status_code == 403
    assert len(as_lena.get("/portfolio/export").json()) == 3
    assert len(as_sam.get("/portfolio/export").json()) == 3


def test_without_a_token_nothing_answers_but_401(book):
    anonymous = Api(None)
    for path in ["/accounts", f"/accounts/{book['north'].pk}", "/signals", "/portfolio/export"]:
        assert anonymous.get(path).status_code == 401


def test_a_signed_in_browser_session_opens_nothing_of_the_api(client, alice, book):
    client.force_login(alice)
    assert client.get("/api/v1/accounts").status_code == 401
