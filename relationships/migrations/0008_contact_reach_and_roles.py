"""Contacts gain an email address (one per person at a client), a phone number, who they
report to, and the roles of a buying decision: the economic buyer and the blocker join the
executive sponsor, decision maker, influencer and user. Existing contacts keep their role and
whether they are our champion, unchanged."""

import importlib

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models

GUARDS = importlib.import_module("relationships.migrations.0003_same_account_guards")


# SQLite rebuilds the contact table to add a column or a check (a new table, a copy, the old
# one dropped, the new one renamed), and refuses the rename while the same-account guards of
# migration 0003 name the table it just dropped; the guards on the contact table itself would
# go with the old table. So the guards come off first and go back on, unchanged, at the end
# (on PostgreSQL too, where it is merely harmless).


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_account_lifecycle_and_domains"),
        ("relationships", "0007_evidence_about_people"),
    ]

    operations = [
        migrations.RunPython(GUARDS.drop_guards, GUARDS.create_guards),
        migrations.RemoveConstraint(
            model_name="contact",
            name="contact_role_valid",
        ),
        migrations.AddField(
            model_name="contact",
            name="email",
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="contact",
            name="phone",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="contact",
            name="reports_to",
            field=models.ForeignKey(
                blank=True,
                help_text="Their manager at the client, if we know them.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="reports",
                to="relationships.contact",
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="role",
            field=models.CharField(
                choices=[
                    ("economic_buyer", "Economic buyer"),
                    ("executive_sponsor", "Executive sponsor"),
                    ("decision_maker", "Decision maker"),
                    ("influencer", "Influencer"),
                    ("user", "User"),
                    ("blocker", "Blocker"),
                ],
                default="user",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "role__in",
                        [
                            "economic_buyer",
                            "executive_sponsor",
                            "decision_maker",
                            "influencer",
                            "user",
                            "blocker",
                        ],
                    )
                ),
                name="contact_role_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.UniqueConstraint(
                models.F("account"),
                django.db.models.functions.text.Lower("email"),
                condition=models.Q(("email", ""), _negated=True),
                name="contact_email_once_per_account",
            ),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.CheckConstraint(
                condition=models.Q(("reports_to", models.F("id")), _negated=True),
                name="contact_not_own_manager",
            ),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_champion", True), ("role", "blocker"), _negated=True),
                name="contact_blocker_not_champion",
            ),
        ),
        migrations.RunPython(GUARDS.create_guards, GUARDS.drop_guards),
    ]
