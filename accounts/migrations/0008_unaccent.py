"""PostgreSQL's `unaccent`, for accent-blind search (accounts/folding.py); SQLite gets the
function from Python, so there is nothing to do there."""

from django.db import migrations


def create_unaccent(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A trusted extension since PostgreSQL 13: the database's owner may create it.
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_api_tokens")]

    # Left in place when unapplied: other databases' objects may use the extension.
    operations = [migrations.RunPython(create_unaccent, migrations.RunPython.noop)]
