import pytest
from django.urls import reverse

from tests.factories import AccountFactory, InteractionFactory


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_signing_in_with_a_wrong_password_says_so(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_a_manager_sees_her_accounts_and_not_his(client, alices_account, bobs_account):
    client.force_login(alices_account.owner)
    page = client.get(reverse("home")).content.decode()
    assert "My accounts" in page
    assert "Northwind Freight" in page
    assert "Bluepeak Foods" not in page


@pytest.mark.django_db
def test_the_other_manager_sees_only_his(client, alices_account, bobs_account):
    client.force_login(bobs_account.owner)
    page = client.get(reverse("home")).content.decode()
    assert "Bluepeak Foods" in page
    assert "Northwind Freight" not in page


@pytest.mark.django_db
def test_a_sales_lead_sees_the_whole_portfolio(client, lena, alices_account, bobs_account):
    client.force_login(lena)
    page = client.get(reverse("home")).content.decode()
    assert "All accounts" in page
    assert "Northwind Freight" in page and "Bluepeak Foods" in page


@pytest.mark.django_db
def test_the_list_shows_last_contact(client, alices_account):
    InteractionFactory(account=alices_account, occurred_on="2026-02-03")
    InteractionFactory(account=alices_account, occurred_on="2026-03-09")
    client.force_login(alices_account.owner)
    assert "9 Mar 2026" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("accounts", [2, 12])
def test_the_list_costs_the_same_queries_whatever_the_size(
    client, lena, django_assert_num_queries, accounts
):
    for _ in range(accounts):
        InteractionFactory(account=AccountFactory())
    client.force_login(lena)
    # savepoint, session, user, roles, count, one page of rows, release savepoint
    with django_assert_num_queries(7):
        response = client.get(reverse("home"))
    assert response.context["page"].paginator.count == accounts
