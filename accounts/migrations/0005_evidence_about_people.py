"""Contacts, assessments and external pressures now belong to the relationships app (its
migration 0007); their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_account_plan"),
        ("relationships", "0007_evidence_about_people"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="contact",
                    name="account",
                ),
                migrations.RemoveField(
                    model_name="externalpressure",
                    name="account",
                ),
                migrations.DeleteModel(
                    name="Assessment",
                ),
                migrations.DeleteModel(
                    name="Contact",
                ),
                migrations.DeleteModel(
                    name="ExternalPressure",
                ),
            ],
            database_operations=[],
        ),
    ]
