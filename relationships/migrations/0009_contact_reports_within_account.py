"""A contact reports to someone of the same client: a database guard like those of migration
0003 (a statement-level trigger on PostgreSQL, row-level on SQLite), on every path (imports,
the shell), not only the form."""

import importlib

from django.db import migrations

GUARDS = importlib.import_module("relationships.migrations.0003_same_account_guards")

GUARD = (
    "contact_reports_same_account",
    "accounts_contact",
    ("INSERT", "UPDATE"),
    "SELECT 1 FROM new_rows n JOIN accounts_contact m ON m.id = n.reports_to_id "
    "WHERE m.account_id <> n.account_id UNION ALL "
    "SELECT 1 FROM new_rows n JOIN accounts_contact r ON r.reports_to_id = n.id "
    "WHERE r.account_id <> n.account_id",
    "(NEW.reports_to_id IS NOT NULL AND NEW.account_id IS NOT "
    "(SELECT account_id FROM accounts_contact WHERE id = NEW.reports_to_id)) OR EXISTS "
    "(SELECT 1 FROM accounts_contact r WHERE r.reports_to_id = NEW.id "
    "AND r.account_id <> NEW.account_id)",
)


def create_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = GUARDS._postgresql_statements(*GUARD)
    elif vendor == "sqlite":
        statements = GUARDS._sqlite_statements(*GUARD)
    else:
        raise NotImplementedError(f"No same-account guard written for {vendor}.")
    for statement in statements:
        schema_editor.execute(statement)


def drop_guard(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    name, table, events, *_ = GUARD
    for event in events:
        on_table = f" ON {table}" if postgresql else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event.lower()}{on_table};")
    if postgresql:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}();")


class Migration(migrations.Migration):
    dependencies = [("relationships", "0008_contact_reach_and_roles")]

    operations = [migrations.RunPython(create_guard, drop_guard)]
