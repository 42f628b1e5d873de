"""What happens between us and a client: interactions, and the trust signals seen in them.

Position on the S-curve is earned by observable behaviour of the client, not by what we say
about ourselves (docs/model.md, Position), so every signal is a dated observation someone logged.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from accounts.models import Account


class ExternalPressure(models.Model):
    """Something in the client's world that stands in the way of its mission (essay 001)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="pressures")
    description = models.CharField(max_length=200)

    class Meta:
        db_table = "accounts_externalpressure"  # created by the accounts app, before evidence moved
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("description")), 0),
                name="pressure_description_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class ContactRole(models.TextChoices):
    """The part a person plays in the client's decisions about us. Whether they argue our case
    (the champion) is asked on its own: a decision maker or the sponsor can be the champion too,
    and contacts recorded before the role list grew keep both answers."""

    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
    DECISION_MAKER = "decision_maker", "Decision maker"
    INFLUENCER = "influencer", "Influencer"
    USER = "user", "User"
    BLOCKER = "blocker", "Blocker"


class Contact(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=20, choices=ContactRole, default=ContactRole.USER)
    is_champion = models.BooleanField(
        "champion", default=False, help_text="Argues our case inside the client."
    )
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text="Their manager at the client, if we know them.",
    )
    left_on = models.DateField(
        null=True, blank=True, help_text="When the contact left the client; empty while active."
    )

    class Meta:
        db_table = "accounts_contact"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("name")), 0), name="contact_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(role__in=ContactRole.values), name="contact_role_valid"
            ),
            # One person per address at a client, however the address is capitalised.
            models.UniqueConstraint(
                "account",
                Lower("email"),
                condition=~Q(email=""),
                name="contact_email_once_per_account",
            ),
            models.CheckConstraint(
                condition=~Q(reports_to=F("id")), name="contact_not_own_manager"
            ),
            # A blocker works against us; our champion argues for us. Not both.
            models.CheckConstraint(
                condition=~Q(role=ContactRole.BLOCKER, is_champion=True),
                name="contact_blocker_not_champion",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.left_on is None

    def manages_up_to(self, manager_id: int) -> bool:
        """Whether this contact is `manager_id` or above them in the line of reporting (so
        that reporting to them would make a loop); one query."""
        line = dict(
            Contact.objects.filter(account_id=self.account_id).values_list("pk", "reports_to_id")
        )
        seen: set[int] = set()
        current: int | None = manager_id
        while current is not None and current not in seen:
            if current == self.pk:
                return True
            seen.add(current)
            current = line.get(current)
        return False

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.reports_to_id is not None:
            if self.pk is not None and self.reports_to_id == self.pk:
                errors["reports_to"] = "A contact cannot report to themselves."
            elif self.reports_to is not None and self.reports_to.account_id != self.account_id:
                errors["reports_to"] = "Pick someone at the same client."
            elif self.pk is not None and self.manages_up_to(self.reports_to_id):
                errors["reports_to"] = REPORTS_TO_LOOP
        if self.role == ContactRole.BLOCKER and self.is_champion:
            errors["is_champion"] = "A blocker works against us; they cannot be our champion."
        if errors:
            raise ValidationError(errors)


REPORTS_TO_LOOP = (
    "They already report to this person, directly or through others: pick someone else."
)


class StageChoice(models.TextChoices):
    """The four stages of the S-curve as stored with evidence (the stage the client perceives).

    The scoring engine names the same stages in its own `Stage` (it imports no Django, and
    this app does not know scores exist); tests/test_layers.py holds the two to the same values
    and labels.
    """

    VENDOR = "vendor", "Vendor"
    CONFIDANT = "confidant", "Confidant"
    CONSULTANT = "consultant", "Consultant"
    VIRTUAL_PARTNER = "virtual_partner", "Virtual partner"


class Assessment(models.Model):
    """A dated reading of how much the client still needs us, and how it sees us (docs/model.md, The
    account record).

    Business relevance is what keeps a mature relationship from declining (essay 000); the
    stage the client perceives is gathered from the client, and its gap to the computed stage
    is a warning in itself (essay 004).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField()
    relevance = models.PositiveSmallIntegerField(
        "business relevance",
        validators=[
            MinValueValidator(1, "Relevance runs from 1 (barely) to 5 (vital)."),
            MaxValueValidator(5, "Relevance runs from 1 (barely) to 5 (vital)."),
        ],
        help_text="How much the client's business needs what we offer: 1 (barely) to 5 (vital).",
    )
    client_perceived_stage = models.CharField(
        max_length=20,
        choices=StageChoice,
        blank=True,
        help_text="The stage the client itself would put us at, when we know it.",
    )
    note = models.TextField(blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_assessment"
        ordering = ["-assessed_on"]
        get_latest_by = "assessed_on"
        constraints = [
            models.CheckConstraint(
                condition=Q(relevance__gte=1, relevance__lte=5), name="assessment_relevance_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(client_perceived_stage__in=["", *StageChoice.values]),
                name="assessment_perceived_stage_valid",
            ),
            models.UniqueConstraint(
                fields=["account", "assessed_on"], name="assessment_one_per_account_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} on {self.assessed_on}: relevance {self.relevance}"


# Evidence is about what already happened. One day of slack lets a manager ahead of the
# server's time zone log today's meeting.
FUTURE_SLACK = datetime.timedelta(days=1)


# Evidence dated before this is a mistyped year ("0202" for "2020"), not history: it would
# stretch the account's weekly timeline over centuries. Forms and the importer refuse it.
EARLIEST_EVIDENCE = datetime.date(1970, 1, 1)


def validate_not_too_old(value: datetime.date) -> None:
    if value < EARLIEST_EVIDENCE:
        raise ValidationError(
            "%(date)s is before %(year)s: check the year.",
            code="too_old",
            params={"date": value.isoformat(), "year": EARLIEST_EVIDENCE.year},
        )


def validate_not_in_future(value: datetime.date) -> None:
    if value > timezone.localdate() + FUTURE_SLACK:
        raise ValidationError(
            "%(date)s is in the future: log what has already happened.",
            code="future_date",
            params={"date": value.isoformat()},
        )


class SignalCategory(models.TextChoices):
    """The families of evidence the essays agree on (docs/model.md, Position)."""

    DELIVERY = "delivery", "Delivery"
    OPENNESS = "openness", "Openness"
    INCLUSION = "inclusion", "Inclusion"
    ADVISORY = "advisory", "Advisory reach"
    RELIANCE = "reliance", "Strategic reliance"
    COMMERCIAL = "commercial", "Commercial climate"
    PROACTIVE_VALUE = "proactive_value", "Proactive value"
    GOVERNANCE = "governance", "Governance"
    PEOPLE = "people", "People"


class Polarity(models.IntegerChoices):
    POSITIVE = 1, "Builds trust"
    NEGATIVE = -1, "Erodes trust"


class SignalType(models.Model):
    """A kind of trust signal. A catalog row, so admins extend it without a code change.

    Slugs are a public interface: imports and scoring profiles refer to them.
    """

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.CharField(
        max_length=300, blank=True, help_text="A one-line hint shown where signals are logged."
    )
    category = models.CharField(max_length=20, choices=SignalCategory)
    polarity = models.SmallIntegerField(choices=Polarity)
    is_active = models.BooleanField(
        "active", default=True, help_text="Retired types are hidden from forms but kept in history."
    )

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slug__regex=r"^[a-z0-9]+(_[a-z0-9]+)*$"), name="signaltype_slug_format"
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("name")), 0), name="signaltype_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(category__in=SignalCategory.values), name="signaltype_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(polarity__in=Polarity.values), name="signaltype_polarity_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InteractionKind(models.TextChoices):
    MEETING = "meeting", "Meeting"
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    WORKSHOP = "workshop", "Workshop"
    BUSINESS_REVIEW = "business_review", "Business review"
    PLANNING_SESSION = "planning_session", "Planning session"
    SOCIAL = "social", "Social"
    OTHER = "other", "Other"


# How an interaction felt, in words: the form offers these, and the timeline says them, so the
# sign is never the only cue.
SENTIMENT_WORDS = {2: "warm", 1: "good", 0: "neutral", -1: "tense", -2: "hostile"}


class Interaction(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="interactions")
    occurred_on = models.DateField("date", validators=[validate_not_in_future])
    kind = models.CharField(max_length=20, choices=InteractionKind, default=InteractionKind.MEETING)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logged_interactions",
    )
    participants = models.ManyToManyField(Contact, blank=True, related_name="interactions")
    initiated_by_client = models.BooleanField(
        default=False, help_text="The client asked for this contact, not us."
    )
    notes = models.TextField(blank=True)
    sentiment = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(-2, "Sentiment runs from -2 (hostile) to +2 (warm)."),
            MaxValueValidator(2, "Sentiment runs from -2 (hostile) to +2 (warm)."),
        ],
        help_text="How it felt, from -2 (hostile) to +2 (warm), if worth saying.",
    )
    external_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=InteractionKind.values), name="interaction_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(sentiment__isnull=True) | Q(sentiment__gte=-2, sentiment__lte=2),
                name="interaction_sentiment_range",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="interaction_external_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-occurred_on"]),
            # The dashboard's "activity in the last 30 days" across the whole portfolio,
            # counted per account from the index alone on PostgreSQL.
            models.Index(
                fields=["occurred_on"], include=["account"], name="interaction_occurred_on_acct"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.account} on {self.occurred_on}"

    @property
    def sentiment_display(self) -> str:
        """The sentiment as the form offered it ("+2 warm", "−1 tense"); empty if not noted."""
        if self.sentiment is None:
            return ""
        sign = "+" if self.sentiment > 0 else "−" if self.sentiment < 0 else ""
        return f"{sign}{abs(self.sentiment)} {SENTIMENT_WORDS[self.sentiment]}"


class TrustSignal(models.Model):
    """One observation of a trust signal at an account, possibly made during an interaction."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="signals")
    signal_type = models.ForeignKey(SignalType, on_delete=models.PROTECT, related_name="signals")
    observed_on = models.DateField(validators=[validate_not_in_future])
    interaction = models.ForeignKey(
        Interaction, null=True, blank=True, on_delete=models.CASCADE, related_name="signals"
    )
    note = models.TextField(blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logged_signals",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_on", "-id"]
        indexes = [models.Index(fields=["account", "-observed_on"])]

    def __str__(self) -> str:
        return f"{self.signal_type} at {self.account} on {self.observed_on}"

    def clean(self) -> None:
        if (
            self.interaction_id is not None
            and self.account_id is not None
            and self.interaction is not None  # as its id is set; says so to the type checker
            and self.interaction.account_id != self.account_id
        ):
            raise ValidationError(
                {"interaction": "That interaction belongs to another account."},
                code="interaction_account_mismatch",
            )


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    DELETED = "deleted", "Deleted"
    RESTORED = "restored", "Restored"


class AuditEntry(models.Model):
    """Who changed what on an account, and when: every create, edit and delete of evidence.

    `changes` maps each changed field to [before, after]. A deletion keeps the whole record in
    `restorable`, which is what "undo" puts back.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=10, choices=AuditAction)
    subject = models.CharField(max_length=30, help_text="What kind of record changed.")
    subject_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    restorable = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["account", "-at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values), name="auditentry_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.subject} on {self.account_id}: {self.summary}"


# Captured meetings and messages are evidence waiting for review; their models live with the
# rest of capture and are declared to Django here, as this app's.
from relationships.capture.models import CapturedItem, CaptureSource  # noqa: E402, F401
