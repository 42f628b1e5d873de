"""The dashboard's lines are vacuumed after 1 % of them change, not PostgreSQL's default 20 %.

Every rescore deletes and inserts an account's line, and a revenue range's sums read the lines
from their index alone only where vacuum has marked the table's pages all-visible; at the
default, the 42,857 lines of a 50,000-account book take about 8,600 rewritten before vacuum
comes, and every sum in between fetches its rows from the table too. (SQLite has no such
setting.)
"""

from django.db import migrations

TABLE = "scoring_standingline"
SETTINGS = ("autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_scale_factor")


def vacuum_sooner(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        values = ", ".join(f"{name} = 0.01" for name in SETTINGS)
        schema_editor.execute(f"ALTER TABLE {TABLE} SET ({values})")


def vacuum_as_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET ({', '.join(SETTINGS)})")


class Migration(migrations.Migration):
    dependencies = [("scoring", "0015_line_revenue_sums")]

    operations = [migrations.RunPython(vacuum_sooner, vacuum_as_default)]
