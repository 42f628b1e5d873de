"""A sales lead reassigns and shares accounts; nobody else can."""

from django.urls import reverse

from relationships.models import AuditEntry

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_sales_lead_reassigns_an_account_with_an_audit_entry(client, lena, alices_account, bob):
    client.force_login(lena)
    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert "Owner and sharing" in page

    response = client.post(
        reverse("account-owner", args=[alices_account.pk]), {"owner": bob.pk}, **HTMX
    )

    assert "Bob now manages this account." in response.content.decode()
    assert "accountChanged" in response["HX-Trigger"]
    alices_account.refresh_from_db()
    assert alices_account.owner == bob
    entry = AuditEntry.objects.get(subject="account")
    assert entry.changes == {"owner": ["Alice", "Bob"]} and entry.actor == lena


def test_the_new_owner_gets_the_account_and_the_old_one_loses_it(client, lena, alices_account, bob):
    client.force_login(lena)
    client.post(reverse("account-owner", args=[alices_account.pk]), {"owner": bob.pk})
    client.force_login(bob)
    assert "Northwind Freight" in client.get(reverse("home")).content.decode()
    client.force_login(alices_account.owner)
    assert client.get(reverse("account-detail", args=[alices_account.pk])).status_code == 404


def test_managers_cannot_reassign_and_only_managers_can_receive(
    client, alice, bob, lena, alices_account, bobs_account
):
    client.force_login(alice)
    url = reverse("account-owner", args=[alices_account.pk])
    assert client.post(url, {"owner": bob.pk}).status_code == 403
    assert (
        client.post(
            reverse("account-owner", args=[bobs_account.pk]), {"owner": alice.pk}
        ).status_code
        == 404
    )
    assert (
        "Owner and sharing"
        not in client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    )

    client.force_login(lena)
    refused = client.post(url, {"owner": lena.pk}, **HTMX)  # a lead is not a manager
    assert "Select a valid choice" in refused.content.decode()
    alices_account.refresh_from_db()
    assert alices_account.owner == alice


def test_sharing_lets_another_manager_in(client, lena, alices_account, bob):
    client.force_login(lena)
    client.post(reverse("account-sharing", args=[alices_account.pk]), {"shared_with": [bob.pk]})
    client.force_login(bob)
    assert "Northwind Freight" in client.get(reverse("home")).content.decode()
    assert client.get(reverse("account-detail", args=[alices_account.pk])).status_code == 200
    assert AuditEntry.objects.get(subject="account").summary == "Shared with: Bob"


def test_sharing_is_a_list_of_checkboxes_not_a_multiple_select(client, lena, alices_account, bob):
    client.force_login(lena)
    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()

    assert "<select multiple" not in page and 'name="shared_with"' in page
    assert f'type="checkbox" name="shared_with" value="{bob.pk}"' in page
    assert "<legend>Also worked on by</legend>" in page
