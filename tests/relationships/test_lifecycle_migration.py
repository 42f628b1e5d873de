"""The migrations that bring loss reasons, archiving, email domains and the new contact fields:
existing rows keep what they said, and the same-account guards survive SQLite's table rebuild."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("accounts", "0005_evidence_about_people"),
    ("relationships", "0007_evidence_about_people"),
]
AFTER = [
    ("accounts", "0006_account_lifecycle_and_domains"),
    ("relationships", "0008_contact_reach_and_roles"),
]


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_existing_accounts_and_contacts_come_through_unchanged(alice):
    triggers = _triggers()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Account = old.get_model("accounts", "Account")
    Contact = old.get_model("relationships", "Contact")
    lost = Account.objects.create(
        name="Bluepeak Foods",
        owner_id=alice.pk,
        status="lost",
        lost_on=datetime.date(2026, 6, 30),
        lost_reason="Moved the work to a competitor.",
    )
    kept = Account.objects.create(name="Northwind Freight", owner_id=alice.pk)
    Contact.objects.create(
        account=kept, name="Dana Reyes", role="executive_sponsor", is_champion=True
    )
    Contact.objects.create(account=kept, name="Ola Berg", role="influencer")

    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Account = new.get_model("accounts", "Account")
    Contact = new.get_model("relationships", "Contact")

    lost = Account.objects.get(pk=lost.pk)
    assert (lost.status, lost.lost_on) == ("lost", datetime.date(2026, 6, 30))
    assert (lost.lost_note, lost.lost_reason) == ("Moved the work to a competitor.", "")
    people = {c.name: (c.role, c.is_champion, c.email, c.phone) for c in Contact.objects.all()}
    assert people == {
        "Dana Reyes": ("executive_sponsor", True, "", ""),
        "Ola Berg": ("influencer", False, "", ""),
    }
    # The same-account guards of migration 0003 are back after the table's rebuild.
    kept = {name for name in triggers if not name.startswith("contact_reports_same_account")}
    assert kept <= _triggers()
    assert any("contact_keeps_account" in name for name in kept)

    # The guards still guard: a participant from another account is refused.
    Interaction = new.get_model("relationships", "Interaction")
    meeting = Interaction.objects.create(account=lost, occurred_on=datetime.date(2026, 5, 1))
    dana = Contact.objects.get(name="Dana Reyes")
    with pytest.raises(IntegrityError), transaction.atomic():
        meeting.participants.add(dana)

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert _triggers() == triggers
