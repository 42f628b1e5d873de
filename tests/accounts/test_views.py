import pytest
from django.urls import reverse


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
