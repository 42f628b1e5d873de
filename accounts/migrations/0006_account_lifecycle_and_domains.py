"""Accounts are closed in the app: a loss gets a reason from a short list beside its note (the
free text recorded so far becomes the note), an account can be archived (keeping its loss, if
it had one), and the client's email domains are recorded, each held by one active account."""

import django.db.models.deletion
from django.db import migrations, models

import accounts.models

# accounts.models.DOMAIN_PATTERN as it stood when this was written.
DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"

LOST_REASONS = [
    ("price", "Price"),
    ("competitor", "Went to a competitor"),
    ("no_longer_needed", "No longer needs what we offer"),
    ("delivery", "Our delivery or service"),
    ("relationship", "The relationship faded (our contact left, silence)"),
    ("client_changed", "The client changed (merger, budget cut, closure)"),
    ("other", "Other"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_evidence_about_people"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="account", name="account_status_matches_loss"),
        # What was written about a loss so far is its note; the reason is asked from now on.
        migrations.RenameField(model_name="account", old_name="lost_reason", new_name="lost_note"),
        migrations.AlterField(
            model_name="account",
            name="lost_note",
            field=models.TextField(blank=True, verbose_name="about the loss"),
        ),
        migrations.AddField(
            model_name="account",
            name="lost_reason",
            field=models.CharField(
                blank=True,
                choices=LOST_REASONS,
                default="",
                help_text="Empty for losses recorded before reasons were asked for.",
                max_length=20,
                verbose_name="why it was lost",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="account",
            name="status",
            field=models.CharField(
                choices=[("active", "Active"), ("lost", "Lost"), ("archived", "Archived")],
                default="active",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("lost_note", ""),
                        ("lost_on__isnull", True),
                        ("lost_reason", ""),
                        ("status", "active"),
                    ),
                    models.Q(("lost_on__isnull", False), ("status", "lost")),
                    models.Q(("lost_on__isnull", False), ("status", "archived")),
                    models.Q(("lost_note", ""), ("lost_reason", ""), ("status", "archived")),
                    _connector="OR",
                ),
                name="account_status_matches_loss",
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["active", "lost", "archived"])),
                name="account_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("lost_reason__in", ["", *(value for value, _ in LOST_REASONS)])
                ),
                name="account_lost_reason_valid",
            ),
        ),
        migrations.CreateModel(
            name="AccountDomain",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "domain",
                    models.CharField(max_length=253, validators=[accounts.models.validate_domain]),
                ),
                (
                    "claimed",
                    models.BooleanField(
                        default=True,
                        help_text="Whether the account is active, so the domain is taken.",
                    ),
                ),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="domains",
                        to="accounts.account",
                    ),
                ),
            ],
            options={
                "ordering": ["domain"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("claimed", True)),
                        fields=("domain",),
                        name="accountdomain_claimed_once",
                    ),
                    models.UniqueConstraint(
                        fields=("account", "domain"), name="accountdomain_once_per_account"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("domain__regex", DOMAIN_PATTERN)),
                        name="accountdomain_domain_format",
                    ),
                ],
            },
        ),
    ]
