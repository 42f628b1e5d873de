"""Database guards for rules a CHECK constraint cannot express because they span two tables.

A trust signal seen in an interaction must belong to the interaction's account, and the people
who took part in an interaction must be contacts of that account. Forms check this too, but the
database refuses it on every path (imports, bulk loads, the shell).

On PostgreSQL the guards are statement-level triggers over transition tables: a COPY of a
million rows is checked with one join instead of a million lookups. SQLite has only row-level
triggers, which is fine at the sizes SQLite is used for.
"""

from django.db import migrations

MESSAGE = "belongs to another account"

# name, table, events, PostgreSQL query over `new_rows` that finds violations,
# SQLite row-level WHEN condition over NEW.
GUARDS = [
    (
        "trustsignal_same_account",
        "relationships_trustsignal",
        ("INSERT", "UPDATE"),
        "SELECT 1 FROM new_rows n JOIN relationships_interaction i ON i.id = n.interaction_id "
        "WHERE n.account_id <> i.account_id",
        "NEW.interaction_id IS NOT NULL AND NEW.account_id IS NOT "
        "(SELECT account_id FROM relationships_interaction WHERE id = NEW.interaction_id)",
    ),
    (
        "participant_same_account",
        "relationships_interaction_participants",
        ("INSERT", "UPDATE"),
        "SELECT 1 FROM new_rows n JOIN accounts_contact c ON c.id = n.contact_id "
        "JOIN relationships_interaction i ON i.id = n.interaction_id "
        "WHERE c.account_id <> i.account_id",
        "(SELECT account_id FROM accounts_contact WHERE id = NEW.contact_id) IS NOT "
        "(SELECT account_id FROM relationships_interaction WHERE id = NEW.interaction_id)",
    ),
    (
        "interaction_keeps_account",
        "relationships_interaction",
        ("UPDATE",),
        "SELECT 1 FROM new_rows n JOIN relationships_trustsignal s ON s.interaction_id = n.id "
        "WHERE s.account_id <> n.account_id UNION ALL "
        "SELECT 1 FROM new_rows n JOIN relationships_interaction_participants p "
        "ON p.interaction_id = n.id JOIN accounts_contact c ON c.id = p.contact_id "
        "WHERE c.account_id <> n.account_id",
        "EXISTS (SELECT 1 FROM relationships_trustsignal s WHERE s.interaction_id = NEW.id "
        "AND s.account_id <> NEW.account_id) OR EXISTS (SELECT 1 FROM "
        "relationships_interaction_participants p JOIN accounts_contact c ON c.id = p.contact_id "
        "WHERE p.interaction_id = NEW.id AND c.account_id <> NEW.account_id)",
    ),
    (
        "contact_keeps_account",
        "accounts_contact",
        ("UPDATE",),
        "SELECT 1 FROM new_rows n JOIN relationships_interaction_participants p "
        "ON p.contact_id = n.id JOIN relationships_interaction i ON i.id = p.interaction_id "
        "WHERE i.account_id <> n.account_id",
        "EXISTS (SELECT 1 FROM relationships_interaction_participants p JOIN "
        "relationships_interaction i ON i.id = p.interaction_id "
        "WHERE p.contact_id = NEW.id AND i.account_id <> NEW.account_id)",
    ),
]


def _postgresql_statements(name, table, events, violations, _sqlite_when):
    yield (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF EXISTS ({violations}) THEN "
        f"RAISE EXCEPTION '{name}: {MESSAGE}' USING ERRCODE = 'check_violation'; "
        f"END IF; RETURN NULL; END $$;"
    )
    for event in events:
        yield (
            f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}();"
        )


def _sqlite_statements(name, table, events, _violations, sqlite_when):
    for event in events:
        yield (
            f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} "
            f"FOR EACH ROW WHEN {sqlite_when} "
            f"BEGIN SELECT RAISE(ABORT, '{name}: {MESSAGE}'); END;"
        )


def create_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for guard in GUARDS:
        if vendor == "postgresql":
            statements = _postgresql_statements(*guard)
        elif vendor == "sqlite":
            statements = _sqlite_statements(*guard)
        else:
            raise NotImplementedError(f"No same-account guards written for {vendor}.")
        for statement in statements:
            schema_editor.execute(statement)


def drop_guards(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for name, table, events, *_ in GUARDS:
        for event in events:
            on_table = f" ON {table}" if postgresql else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{event.lower()}{on_table};")
        if postgresql:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}();")


class Migration(migrations.Migration):
    dependencies = [
        ("relationships", "0002_default_signal_catalog"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_guards, drop_guards)]
