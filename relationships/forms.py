"""Forms of the account page. Each turns what a person typed into a service call's input, with
a readable message next to any field it cannot accept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from accounts.forms import RowsChoiceField, beyond_any_id
from accounts.models import NEXT_STEP_HORIZON, Account, PartnershipPotential
from relationships.models import (
    REPORTS_TO_LOOP,
    SENTIMENT_WORDS,
    Contact,
    ContactRole,
    Interaction,
    SignalCategory,
    SignalType,
    StageChoice,
    validate_not_too_old,
)
from relationships.services import ContactDetails, InteractionInput, NewContact, contact_state

SENTIMENT_CHOICES = [("", "Not noted")] + [
    (str(value), Interaction(sentiment=value).sentiment_display)
    for value in sorted(SENTIMENT_WORDS, reverse=True)
]


# How many categories of signals the log form shows open, the most used first: on a phone the
# open ones and the titles of the others fit one screen.
OPEN_SIGNAL_GROUPS = 3


@dataclass(frozen=True)
class SignalGroup:
    """One category of the log form's signal chips: each signal type with whether it is
    selected, and whether the category shows open."""

    label: str
    chips: list[tuple[SignalType, bool]]
    open: bool


class ContactChoiceField(RowsChoiceField):
    def label_from_instance(self, obj) -> str:
        # Two people may share a name at one client; the title tells them apart.
        return f"{obj.name} ({obj.title})" if obj.title else obj.name


class ContactPickField(forms.ModelChoiceField):
    """One contact picked by id; a number beyond any id is an invalid choice, like any other
    id that is not on offer (the database is never asked)."""

    def to_python(self, value):
        if beyond_any_id(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)

    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.title})" if obj.title else obj.name


class SignalChipsMixin:
    """The log form's signal chips (pages/interaction_form.html#signal-chips) for any form with
    a `signals` field and the `signal_types` offered, in the order they are shown."""

    signal_types: list[SignalType]

    def signal_groups(self) -> list[SignalGroup]:
        """The signal chips by category, in the order of `signal_types` (the most used first,
        see `selectors.signal_types_for_form`), each with whether it is selected. The first
        OPEN_SIGNAL_GROUPS categories are open, and so is any holding a selected signal; the
        rest are a click, or Enter, away."""
        raw = self["signals"].value() or []  # type: ignore[index]
        selected = {str(pk) for pk in raw}
        labels = dict(SignalCategory.choices)
        groups = []
        for rank, (category, types) in enumerate(
            groupby(self.signal_types, key=lambda t: t.category)
        ):
            chips = [(t, str(t.pk) in selected) for t in types]
            is_open = rank < OPEN_SIGNAL_GROUPS or any(on for _, on in chips)
            groups.append(SignalGroup(labels.get(category, category), chips, is_open))
        return groups


class InteractionForm(SignalChipsMixin, forms.ModelForm):
    """Log or edit an interaction: when, what kind, who took part, and what was observed."""

    participants = ContactChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Who took part on the client's side.",
    )
    new_contact_name = forms.CharField(
        label="Add a new contact", max_length=200, required=False, strip=True
    )
    new_contact_title = forms.CharField(label="Their title", max_length=200, required=False)
    sentiment = forms.TypedChoiceField(
        choices=SENTIMENT_CHOICES, coerce=int, empty_value=None, required=False
    )
    signals = RowsChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Trust signals observed",
    )
    # Which save of the entry the page was opened on (see services.interaction_version).
    version = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        error_messages={
            "null_characters_not_allowed": "This page does not say which version of the entry "
            "it shows; reload it and make your change again."
        },
    )

    class Meta:
        model = Interaction
        fields = ["occurred_on", "kind", "initiated_by_client", "notes", "sentiment"]
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"initiated_by_client": "The client asked for it"}

    def __init__(self, *args, account: Account, signal_types: list[SignalType], **kwargs):
        super().__init__(*args, **kwargs)
        contacts = account.contacts.all()
        if self.instance.pk is None:
            self.initial.setdefault("occurred_on", timezone.localdate())
            contacts = contacts.filter(left_on__isnull=True)
        else:
            # Someone who has since left still took part in a past meeting.
            contacts = contacts.filter(left_on__isnull=True) | contacts.filter(
                interactions=self.instance
            )
            self.initial["participants"] = [c.pk for c in self.instance.participants.all()]
            self.initial["signals"] = [s.signal_type_id for s in self.instance.signals.all()]
        participants = self.fields["participants"]
        assert isinstance(participants, ContactChoiceField)
        participants.queryset = contacts.distinct().order_by("name")
        signals = self.fields["signals"]
        assert isinstance(signals, RowsChoiceField)
        signals.queryset = SignalType.objects.filter(pk__in=[t.pk for t in signal_types])
        self.signal_types = signal_types

    def clean_occurred_on(self):
        occurred_on = self.cleaned_data["occurred_on"]
        validate_not_too_old(occurred_on)
        return occurred_on

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("new_contact_title") and not cleaned.get("new_contact_name"):
            self.add_error("new_contact_name", "Give the new contact's name, or clear the title.")
        return cleaned

    def to_input(self) -> InteractionInput:
        data = self.cleaned_data
        name = data.get("new_contact_name")
        return InteractionInput(
            occurred_on=data["occurred_on"],
            kind=data["kind"],
            initiated_by_client=data["initiated_by_client"],
            notes=data["notes"],
            sentiment=data["sentiment"],
            participants=list(data["participants"]),
            new_contact=NewContact(name, data.get("new_contact_title", "")) if name else None,
            signal_types=list(data["signals"]),
        )


class AccountFactsForm(forms.Form):
    mission = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What the client is trying to achieve at the highest level.",
    )
    partnership_potential = forms.ChoiceField(choices=PartnershipPotential.choices)
    pressures = forms.CharField(
        label="External pressures",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line: what in the client's world stands in the way of its mission.",
    )
    objective = forms.CharField(
        label="Our objective",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=Account._meta.get_field("objective").help_text,
    )
    next_step = forms.CharField(
        max_length=300, required=False, help_text=Account._meta.get_field("next_step").help_text
    )
    next_step_due = forms.DateField(
        label="Next step due",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_next_step_due(self):
        due = self.cleaned_data["next_step_due"]
        if due is not None:
            validate_not_too_old(due)
            if due > timezone.localdate() + NEXT_STEP_HORIZON:
                raise forms.ValidationError("Pick a date within the next five years.")
        return due

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        step = cleaned.get("next_step")  # None when the step itself was refused
        if cleaned.get("next_step_due") and step is not None and not step.strip():
            self.add_error("next_step", "Say what the next step is, or clear its due date.")
        return cleaned

    def clean_pressures(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["pressures"].splitlines()]
        lines = [line for line in lines if line]
        too_long = [line for line in lines if len(line) > 200]
        if too_long:
            raise forms.ValidationError(
                "Keep each pressure to 200 characters; this one is longer: %(line)s…",
                params={"line": too_long[0][:40]},
            )
        return lines


class AssessmentForm(forms.Form):
    relevance = forms.TypedChoiceField(
        label="Business relevance",
        choices=[
            (str(n), f"{n} — {w}")
            for n, w in enumerate(["barely", "somewhat", "useful", "important", "vital"], start=1)
        ],
        coerce=int,
        help_text="How much the client's business needs what we offer today.",
    )
    client_perceived_stage = forms.ChoiceField(
        label="The client sees us as",
        choices=[("", "Not known"), *StageChoice.choices],
        required=False,
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ContactForm(forms.Form):
    """A person at the client. `reports_to` offers the other people of the same account."""

    name = forms.CharField(max_length=200)
    title = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(max_length=254, required=False)
    phone = forms.CharField(
        max_length=40,
        required=False,
        validators=[
            RegexValidator(
                r"^[0-9+()./ -]*$",
                "Write a phone number with digits, spaces and + ( ) - . / only.",
            )
        ],
    )
    role = forms.ChoiceField(choices=ContactRole.choices, initial=ContactRole.USER)
    is_champion = forms.BooleanField(
        label="Champion", required=False, help_text="Argues our case inside the client."
    )
    reports_to = ContactPickField(
        queryset=Contact.objects.none(),
        required=False,
        label="Reports to",
        empty_label="Nobody we know",
    )

    def __init__(self, *args, account: Account, contact: Contact | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        others = Contact.objects.filter(account=account).order_by("name")
        if contact is not None:
            others = others.exclude(pk=contact.pk)
        reports_to = self.fields["reports_to"]
        assert isinstance(reports_to, ContactPickField)
        reports_to.queryset = others
        self.contact = contact

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the person's name.")
        return name

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("role") == ContactRole.BLOCKER and cleaned.get("is_champion"):
            self.add_error(
                "is_champion", "A blocker works against us; they cannot be our champion."
            )
        manager = cleaned.get("reports_to")
        if self.contact and manager is not None and self.contact.manages_up_to(manager.pk):
            self.add_error("reports_to", REPORTS_TO_LOOP)
        return cleaned

    def details(self) -> ContactDetails:
        data = self.cleaned_data
        return ContactDetails(
            name=data["name"],
            title=data["title"],
            email=data["email"],
            phone=data["phone"],
            role=data["role"],
            is_champion=data["is_champion"],
            reports_to=data["reports_to"],
        )

    @staticmethod
    def initial_for(contact: Contact) -> dict:
        """The form filled from the contact as its history records it."""
        initial = contact_state(contact)
        initial["reports_to"] = initial.pop("reports_to_id")
        return initial


class ContactLeftForm(forms.Form):
    left_on = forms.DateField(
        label="Left on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean_left_on(self):
        left_on = self.cleaned_data["left_on"]
        if left_on > timezone.localdate():
            raise forms.ValidationError("That date is in the future.")
        validate_not_too_old(left_on)
        return left_on


class SignalTypeForm(forms.ModelForm):
    """A new signal type for the catalog."""

    slug = forms.CharField(
        max_length=60,
        help_text="Lower case words joined by _, e.g. asked_for_references. Imports and "
        "scoring profiles use it; it never changes.",
    )

    class Meta:
        model = SignalType
        fields = ["name", "slug", "category", "polarity", "description"]
        labels = {"description": "One-line hint"}

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip()
        if not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", slug):
            raise forms.ValidationError(
                "Use lower-case letters and digits, words joined by single underscores."
            )
        return slug


class SignalTypeEditForm(forms.ModelForm):
    """What may change about a signal type: its name and its hint."""

    class Meta:
        model = SignalType
        fields = ["name", "description"]
        labels = {"description": "One-line hint"}
