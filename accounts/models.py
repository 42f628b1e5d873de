"""Client accounts: who the client is, who looks after it, and our plan for it.

What we observe of the relationship (contacts, assessments, interactions, trust signals) is
evidence, and lives in the relationships app.
"""

from __future__ import annotations

import datetime
import re

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
    """Only active accounts are in the day's work (the account list, the dashboard, the daily
    rescore): every query that filters on ACTIVE leaves lost and archived ones out. An
    archived account keeps its loss, if it had one, so unarchiving it restores what it was."""

    ACTIVE = "active", "Active"
    LOST = "lost", "Lost"
    ARCHIVED = "archived", "Archived"


class LostReason(models.TextChoices):
    """Why a client left, in the few words a sales floor uses; the note says the rest."""

    PRICE = "price", "Price"
    COMPETITOR = "competitor", "Went to a competitor"
    NO_LONGER_NEEDED = "no_longer_needed", "No longer needs what we offer"
    DELIVERY = "delivery", "Our delivery or service"
    RELATIONSHIP = "relationship", "The relationship faded (our contact left, silence)"
    CLIENT_CHANGED = "client_changed", "The client changed (merger, budget cut, closure)"
    OTHER = "other", "Other"


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
    lost_reason = models.CharField(
        "why it was lost",
        max_length=20,
        choices=LostReason,
        blank=True,
        help_text="Empty for losses recorded before reasons were asked for.",
    )
    lost_note = models.TextField("about the loss", blank=True)
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
            # An active account has no loss recorded; a lost one always says when; an archived
            # one keeps its loss if it had one, and has no reason or note without a date.
            models.CheckConstraint(
                condition=(
                    Q(
                        status=AccountStatus.ACTIVE,
                        lost_on__isnull=True,
                        lost_reason="",
                        lost_note="",
                    )
                    | Q(status=AccountStatus.LOST, lost_on__isnull=False)
                    | Q(status=AccountStatus.ARCHIVED, lost_on__isnull=False)
                    | Q(status=AccountStatus.ARCHIVED, lost_reason="", lost_note="")
                ),
                name="account_status_matches_loss",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AccountStatus.values), name="account_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(lost_reason__in=["", *LostReason.values]),
                name="account_lost_reason_valid",
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

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.status == AccountStatus.LOST and self.lost_on is None:
            errors["lost_on"] = "Say when the account was lost."
        if self.status == AccountStatus.ACTIVE:
            if self.lost_on is not None:
                errors["lost_on"] = "An active account has no loss date; mark it lost first."
            if self.lost_reason or self.lost_note:
                errors["lost_reason"] = "An active account has no loss reason; mark it lost first."
        if self.next_step_due is not None and not self.next_step.strip():
            errors["next_step"] = "Say what the next step is, or clear its due date."
        if errors:
            raise ValidationError(errors)


# A host name as the client's email addresses end: labels of letters, digits and hyphens
# joined by dots, with a top-level label of letters (RFC 1035, lower-cased).
DOMAIN_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


def normalise_domain(value: str) -> str:
    """ "@Example.COM " and "example.com." both mean example.com."""
    return value.strip().lstrip("@").rstrip(".").lower()


def validate_domain(value: str) -> None:
    if not re.fullmatch(DOMAIN_PATTERN, value) or len(value) > 253:
        raise ValidationError(
            "%(domain)s is not an email domain; write it as example.com.",
            code="invalid_domain",
            params={"domain": value[:60]},
        )


class AccountDomain(models.Model):
    """An email domain of the client (example.com): mail from it is the client writing.

    A domain belongs to one active account at a time: `claimed` follows the account's status
    (services keep it in step), and a partial unique index holds it in the database.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, validators=[validate_domain])
    claimed = models.BooleanField(
        default=True, help_text="Whether the account is active, so the domain is taken."
    )

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain"], condition=Q(claimed=True), name="accountdomain_claimed_once"
            ),
            models.UniqueConstraint(
                fields=["account", "domain"], name="accountdomain_once_per_account"
            ),
            models.CheckConstraint(
                condition=Q(domain__regex=DOMAIN_PATTERN), name="accountdomain_domain_format"
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class ApiToken(models.Model):
    """A personal API token: other tools (BI, the ERP, chat) read and write through the API as
    the person who made it, and see exactly what that person sees on the pages.

    Only the SHA-256 hash of the token is kept, so the token is shown once, when it is made; the
    prefix (its first characters) is kept in clear so the person can tell their tokens apart.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for (“BI nightly”).")
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(
        default=False, help_text="Reads only: every write answers 403 Forbidden."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("name")), 0), name="apitoken_name_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
