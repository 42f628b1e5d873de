"""Client accounts: who the client is, who looks after it, and our plan for it.

What we observe of the relationship (contacts, assessments, interactions, trust signals) is
evidence, and lives in the relationships app.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan


class PartnershipPotential(models.TextChoices):
    """Whether the account could become a trusted partner.

    Only about one customer in five wants that depth of relationship (essay 002); the rest are
    regular customers who still need a plan, neither ignored nor over-served.
    """

    UNKNOWN = "unknown", "Unknown"
    REGULAR = "regular", "Regular customer"
    COULD_PARTNER = "could_partner", "Could become partner"
    STRATEGIC = "strategic", "Strategic target"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    LOST = "lost", "Lost"


# How far ahead a next step may be due (the account form and the CSV import both refuse later).
NEXT_STEP_HORIZON = datetime.timedelta(days=5 * 366)


class Account(models.Model):
    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_accounts",
        help_text="The account manager responsible for this relationship.",
    )
    annual_revenue = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0, "Annual revenue can't be negative.")],
        help_text="What the account brings in a year, in the site's currency.",
    )
    mission = models.TextField(
        blank=True, help_text="What the client is trying to achieve at the highest level."
    )
    partnership_potential = models.CharField(
        max_length=20, choices=PartnershipPotential, default=PartnershipPotential.UNKNOWN
    )
    # Our side of the relationship (docs/model.md, The account record): where we want it to go, and
    # what we do next to get it there.
    objective = models.TextField(
        blank=True,
        help_text="Where we want this relationship to be, and what it gives both sides.",
    )
    next_step = models.CharField(
        max_length=300, blank=True, help_text="What we do next to grow the relationship."
    )
    next_step_due = models.DateField(
        "next step due", null=True, blank=True, help_text="When the next step should be done."
    )
    status = models.CharField(max_length=10, choices=AccountStatus, default=AccountStatus.ACTIVE)
    lost_on = models.DateField(null=True, blank=True)
    lost_reason = models.TextField(blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, help_text="The account's id in the system it was imported from."
    )
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="shared_accounts",
        help_text="Other account managers who may read and log on this account.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("name")), 0), name="account_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(annual_revenue__gte=0), name="account_revenue_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(partnership_potential__in=PartnershipPotential.values),
                name="account_partnership_potential_valid",
            ),
            # An active account has no loss recorded; a lost one always says when.
            models.CheckConstraint(
                condition=(
                    Q(status=AccountStatus.ACTIVE, lost_on__isnull=True, lost_reason="")
                    | Q(status=AccountStatus.LOST, lost_on__isnull=False)
                ),
                name="account_status_matches_loss",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="account_external_id_unique",
            ),
            # A due date belongs to a next step.
            models.CheckConstraint(
                condition=Q(next_step_due__isnull=True) | ~Q(next_step=""),
                name="account_next_step_due_has_step",
            ),
        ]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.status == AccountStatus.LOST and self.lost_on is None:
            errors["lost_on"] = "Say when the account was lost."
        if self.status == AccountStatus.ACTIVE:
            if self.lost_on is not None:
                errors["lost_on"] = "An active account has no loss date; mark it lost first."
            if self.lost_reason:
                errors["lost_reason"] = "An active account has no loss reason; mark it lost first."
        if self.next_step_due is not None and not self.next_step.strip():
            errors["next_step"] = "Say what the next step is, or clear its due date."
        if errors:
            raise ValidationError(errors)
