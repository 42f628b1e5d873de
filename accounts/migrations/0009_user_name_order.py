"""The team in name order, on an index: the dashboard's by-manager table walks it a page at a
time (scoring/dashboard/summary.py), and the filters and forms list managers in that order.
The user table is Django's own, so the index is made here."""

from django.conf import settings
from django.db import migrations

INDEX = "accounts_user_name_order"


def _table(apps) -> str:
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    return apps.get_model(app_label, model_name)._meta.db_table


def create_index(apps, schema_editor):
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE INDEX {quote(INDEX)} ON {quote(_table(apps))} (first_name, last_name, username)"
    )


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(INDEX)}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_unaccent"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
