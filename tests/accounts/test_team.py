"""A sales lead reassigns, shares and reopens accounts; nobody else can."""

import datetime

from django.urls import reverse
from django.utils import timezone

from relationships.models import AuditEntry
from scoring.models import ScoreSnapshot
from scoring.services import account_rescore
from tests.factories import InteractionFactory

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


LOST_ON = timezone.localdate() - datetime.timedelta(days=200)
LOST_DAY = f"{LOST_ON.day} {LOST_ON:%b %Y}"


def _lose(account, *, reason="Moved the work to a competitor."):
    """Half a year of meetings, then the account was lost."""
    for weeks in range(26, 0, -2):
        InteractionFactory(account=account, occurred_on=LOST_ON - datetime.timedelta(weeks=weeks))
    account.status, account.lost_on, account.lost_note = "lost", LOST_ON, reason
    account.save()


def test_a_sales_lead_reopens_a_lost_account_with_an_audit_entry(client, lena, alices_account):
    _lose(alices_account)
    client.force_login(lena)
    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert (
        f"Northwind Freight was lost on {LOST_DAY}</strong>: Moved the work to a competitor."
        in page
    )
    assert "Reopen the account" in page

    response = client.post(reverse("account-reopen", args=[alices_account.pk]), follow=True)

    assert "Northwind Freight is active again" in response.content.decode()
    alices_account.refresh_from_db()
    assert (alices_account.status, alices_account.lost_on, alices_account.lost_note) == (
        "active",
        None,
        "",
    )
    entry = AuditEntry.objects.get(subject="account")
    assert entry.actor == lena
    assert entry.summary == f"Reopened: was lost on {LOST_DAY}: Moved the work to a competitor."
    assert entry.changes == {
        "status": ["Lost", "Active"],
        "lost on": [LOST_ON.isoformat(), ""],
        "about the loss": ["Moved the work to a competitor.", ""],
    }


def test_a_reopened_account_is_scored_up_to_today(client, lena, alices_account):
    _lose(alices_account)
    account_rescore(account_id=alices_account.pk)
    lost_week = ScoreSnapshot.objects.get(account=alices_account, is_latest=True).week_ending
    assert lost_week < timezone.localdate() - datetime.timedelta(days=7)
    client.force_login(lena)

    client.post(reverse("account-reopen", args=[alices_account.pk]))

    latest = ScoreSnapshot.objects.get(account=alices_account, is_latest=True)
    assert latest.week_ending >= timezone.localdate()


def test_only_a_sales_lead_reopens_and_an_active_account_stays_as_it_is(
    client, alice, lena, alices_account
):
    _lose(alices_account, reason="")
    client.force_login(alice)
    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert f"lost on {LOST_DAY}</strong>; no reason was recorded." in page
    assert "Reopen the account" not in page and "a sales lead can reopen it" in page
    assert client.post(reverse("account-reopen", args=[alices_account.pk])).status_code == 403
    alices_account.refresh_from_db()
    assert alices_account.status == "lost"

    client.force_login(lena)
    client.post(reverse("account-reopen", args=[alices_account.pk]))
    again = client.post(reverse("account-reopen", args=[alices_account.pk]), follow=True)
    assert "Northwind Freight is already active." in again.content.decode()
    assert AuditEntry.objects.filter(subject="account").count() == 1
