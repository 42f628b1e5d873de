"""Contacts, assessments and external pressures move from the accounts app to the evidence
app. The tables stay where they are (each model names its table); only Django's record of
which app owns them changes, and the content types follow so permissions and admin history
keep pointing at the same rows."""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

MOVED = ["contact", "assessment", "externalpressure"]


def content_types_follow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="accounts", model__in=MOVED).update(
        app_label="relationships"
    )


def content_types_return(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="relationships", model__in=MOVED).update(
        app_label="accounts"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_account_plan"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("relationships", "0006_interaction_date_covering_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Contact",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=200)),
                        ("title", models.CharField(blank=True, max_length=200)),
                        (
                            "role",
                            models.CharField(
                                choices=[
                                    ("executive_sponsor", "Executive sponsor"),
                                    ("decision_maker", "Decision maker"),
                                    ("influencer", "Influencer"),
                                    ("user", "User"),
                                ],
                                default="user",
                                max_length=20,
                            ),
                        ),
                        (
                            "is_champion",
                            models.BooleanField(
                                default=False,
                                help_text="Argues our case inside the client.",
                                verbose_name="champion",
                            ),
                        ),
                        (
                            "left_on",
                            models.DateField(
                                blank=True,
                                help_text="When the contact left the client; empty while active.",
                                null=True,
                            ),
                        ),
                        (
                            "account",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="contacts",
                                to="accounts.account",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_contact",
                        "ordering": ["name"],
                    },
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="participants",
                    field=models.ManyToManyField(
                        blank=True, related_name="interactions", to="relationships.contact"
                    ),
                ),
                migrations.CreateModel(
                    name="ExternalPressure",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("description", models.CharField(max_length=200)),
                        (
                            "account",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="pressures",
                                to="accounts.account",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_externalpressure",
                        "ordering": ["id"],
                    },
                ),
                migrations.CreateModel(
                    name="Assessment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("assessed_on", models.DateField()),
                        (
                            "relevance",
                            models.PositiveSmallIntegerField(
                                help_text="How much the client's business needs what we offer: 1 (barely) to 5 (vital).",
                                validators=[
                                    django.core.validators.MinValueValidator(
                                        1, "Relevance runs from 1 (barely) to 5 (vital)."
                                    ),
                                    django.core.validators.MaxValueValidator(
                                        5, "Relevance runs from 1 (barely) to 5 (vital)."
                                    ),
                                ],
                                verbose_name="business relevance",
                            ),
                        ),
                        (
                            "client_perceived_stage",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("vendor", "Vendor"),
                                    ("confidant", "Confidant"),
                                    ("consultant", "Consultant"),
                                    ("virtual_partner", "Virtual partner"),
                                ],
                                help_text="The stage the client itself would put us at, when we know it.",
                                max_length=20,
                            ),
                        ),
                        ("note", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "account",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="assessments",
                                to="accounts.account",
                            ),
                        ),
                        (
                            "assessed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounts_assessment",
                        "ordering": ["-assessed_on"],
                        "get_latest_by": "assessed_on",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("relevance__gte", 1), ("relevance__lte", 5)),
                                name="assessment_relevance_1_to_5",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "client_perceived_stage__in",
                                        [
                                            "",
                                            "vendor",
                                            "confidant",
                                            "consultant",
                                            "virtual_partner",
                                        ],
                                    )
                                ),
                                name="assessment_perceived_stage_valid",
                            ),
                            models.UniqueConstraint(
                                fields=("account", "assessed_on"),
                                name="assessment_one_per_account_per_day",
                            ),
                        ],
                    },
                ),
                migrations.AddConstraint(
                    model_name="contact",
                    constraint=models.CheckConstraint(
                        condition=django.db.models.lookups.GreaterThan(
                            django.db.models.functions.text.Length(
                                django.db.models.functions.text.Trim("name")
                            ),
                            0,
                        ),
                        name="contact_name_not_blank",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="contact",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            (
                                "role__in",
                                ["executive_sponsor", "decision_maker", "influencer", "user"],
                            )
                        ),
                        name="contact_role_valid",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="externalpressure",
                    constraint=models.CheckConstraint(
                        condition=django.db.models.lookups.GreaterThan(
                            django.db.models.functions.text.Length(
                                django.db.models.functions.text.Trim("description")
                            ),
                            0,
                        ),
                        name="pressure_description_not_blank",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
