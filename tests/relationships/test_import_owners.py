"""The import gives accounts owners under the rules of the account page: owners are account
managers, only a sales lead gives an account to someone else, and the history says so."""

import io

from django.core.management import call_command
from django.urls import reverse

from accounts.models import Account
from relationships.csv_bundle import formats
from relationships.models import AuditEntry
from tests.factories import AccountFactory

HEADER = ",".join(formats.COLUMNS[formats.ACCOUNTS])
INTERACTIONS = ",".join(formats.COLUMNS[formats.INTERACTIONS]) + "\n"


def _upload(client, *rows: str, dry_run: bool = False) -> str:
    files = {
        "accounts": io.BytesIO("\n".join([HEADER, *rows, ""]).encode()),
        "interactions": io.BytesIO(INTERACTIONS.encode()),
    }
    for name, handle in files.items():
        handle.name = f"{name}.csv"
    data = {**files, **({"dry_run": "on"} if dry_run else {})}
    response = client.post(reverse("portfolio-import"), data)
    assert response.status_code == 200
    return response.content.decode()


def _northwind(owner):
    return AccountFactory(external_id="A1", name="Northwind Freight", owner=owner)


def test_a_scoring_admin_cannot_take_a_managers_account_through_the_import(client, alice, sam):
    account = _northwind(alice)
    client.force_login(sam)

    page = _upload(client, "A1,Northwind Freight,Logistics,sam,250000,,active,")

    assert "Nothing was imported: 2 problems" in page
    assert "“sam” is not an account manager; only managers own accounts" in page
    assert "managed by “alice”; only a sales lead gives an account to another manager" in page
    account.refresh_from_db()
    assert account.owner == alice
    client.force_login(alice)
    assert client.get(reverse("account-detail", args=[account.pk])).status_code == 200


def test_a_scoring_admin_cannot_hand_an_account_to_another_manager(client, alice, bob, sam):
    account = _northwind(alice)
    client.force_login(sam)

    page = _upload(client, "A1,Northwind Freight,Logistics,bob,250000,,active,")

    assert "Nothing was imported: 1 problem" in page
    assert "only a sales lead gives an account to another manager" in page
    account.refresh_from_db()
    assert account.owner == alice


def test_a_scoring_admin_cannot_close_or_reopen_an_account_through_the_import(
    client, alice, sam, lena
):
    """Marking an account lost or archived, or active again, is a sales lead's on the pages,
    and so in the import."""
    account = _northwind(alice)
    lost_row = "A1,Northwind Freight,Logistics,alice,250000,,lost,2026-11-02"

    client.force_login(sam)
    for row in (lost_row, "A1,Northwind Freight,Logistics,alice,250000,,archived,"):
        page = _upload(client, row)
        assert "Nothing was imported: 1 problem" in page
        assert "only a sales lead marks an account lost, archived or active again" in page
        account.refresh_from_db()
        assert account.status == "active"
    # Keeping the status as it is stays open to an admin's import.
    page = _upload(client, "A1,Northwind Freight,Logistics,alice,250000,,active,")
    assert "Nothing was imported" not in page

    client.force_login(lena)
    assert "Nothing was imported" not in _upload(client, lost_row)
    account.refresh_from_db()
    assert account.status == "lost"


def test_a_sales_lead_cannot_make_herself_the_owner(client, alice, lena):
    account = _northwind(alice)
    client.force_login(lena)

    page = _upload(client, "A1,Northwind Freight,Logistics,lena,250000,,active,")

    assert "“lena” is not an account manager; only managers own accounts" in page
    account.refresh_from_db()
    assert account.owner == alice


def test_new_accounts_go_to_managers_only_whoever_imports(client, alice, sam):
    client.force_login(sam)

    refused = _upload(client, "A7,Harbour Lines,Shipping,sam,1000,,active,")
    assert "“sam” is not an account manager" in refused
    assert not Account.objects.exists()

    accepted = _upload(client, "A7,Harbour Lines,Shipping,alice,1000,,active,")
    assert "Imported." in accepted
    assert Account.objects.get(external_id="A7").owner == alice


def test_a_scoring_admin_may_update_an_account_that_keeps_its_owner(client, alice, sam):
    account = _northwind(alice)
    client.force_login(sam)

    page = _upload(client, "A1,Northwind Freight Group,Logistics,alice,250000,,active,")

    assert "Imported." in page
    account.refresh_from_db()
    assert (account.name, account.owner) == ("Northwind Freight Group", alice)


def test_a_sales_leads_reassignment_reads_as_an_owner_change_in_the_history(
    client, alice, bob, lena
):
    account = _northwind(alice)
    client.force_login(lena)

    assert "Dry run: nothing was written" in _upload(
        client, "A1,Northwind Freight,Logistics,bob,250000,,active,", dry_run=True
    )
    assert not AuditEntry.objects.exists()
    assert "Imported." in _upload(client, "A1,Northwind Freight,Logistics,bob,250000,,active,")

    account.refresh_from_db()
    assert account.owner == bob
    # One entry, the same as the team form writes: who, from, to; nothing else changed.
    entry = AuditEntry.objects.get(account=account)
    assert (entry.actor, entry.subject, entry.summary) == (lena, "account", "Owner: Alice → Bob")
    assert entry.changes == {"owner": ["Alice", "Bob"]}
    client.force_login(bob)
    history = client.get(reverse("account-detail", args=[account.pk])).content.decode()
    assert "Owner: Alice → Bob" in history


def test_an_owner_change_with_other_changes_is_recorded_as_both(client, alice, bob, lena):
    account = _northwind(alice)
    client.force_login(lena)

    _upload(client, "A1,Northwind Freight Group,Logistics,bob,250000,,active,")

    summaries = set(AuditEntry.objects.filter(account=account).values_list("summary", flat=True))
    assert summaries == {"Owner: Alice → Bob", "Imported from a CSV bundle"}


def test_the_command_line_may_reassign_and_the_history_says_so(alice, bob, tmp_path):
    account = _northwind(alice)
    (tmp_path / "accounts.csv").write_text(
        f"{HEADER}\nA1,Northwind Freight,Logistics,bob,250000,,active,\n"
    )
    (tmp_path / "interactions.csv").write_text(INTERACTIONS)

    call_command("import_portfolio", str(tmp_path), stdout=io.StringIO())

    account.refresh_from_db()
    assert account.owner == bob
    entry = AuditEntry.objects.get(account=account)
    assert (entry.actor, entry.summary) == (None, "Owner: Alice → Bob")
