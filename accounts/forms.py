"""Forms of the account record: its details and email domains, closing it as lost, who owns
it, and who else works on it."""

from __future__ import annotations

import datetime
import html

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.models import (
    Account,
    LostReason,
    PartnershipPotential,
    normalise_domain,
    validate_domain,
)
from accounts.selectors import account_managers, managers_matching

# A client with more email domains than this is a data-entry slip (a pasted address book).
MAX_DOMAINS = 20
# Losses dated before this are a mistyped year; the scoring timeline starts no earlier.
EARLIEST_LOSS = datetime.date(1970, 1, 1)

# Ids are 64-bit integers in every database the app runs on. A larger number is no row's id,
# and SQLite cannot even take it as a query parameter, so it is refused before any query.
MAX_ID = 2**63 - 1


def beyond_any_id(value) -> bool:
    """Whether `value` reads as a whole number no id column can hold."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return False
    return not -MAX_ID - 1 <= number <= MAX_ID


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """Several rows picked by id; a number beyond any id is an invalid choice, like any other
    id that is not on offer."""

    def clean(self, value):
        for item in value if isinstance(value, list | tuple) else ():
            if beyond_any_id(item):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super().clean(value)


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with the user name held to the length a user name can have.

    Django only sizes the input box; a longer name reached authentication, and the sign-in
    throttle (django-axes) then failed to record the attempt on PostgreSQL (its username
    column holds 255 characters): a server error instead of "wrong user name or password".
    `config/urls.py` passes it to `LoginView`.
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        assert isinstance(username, forms.CharField)
        username.validators.append(MaxLengthValidator(username.max_length))


class LongSelect(forms.Select):
    """A select rendered in one pass: a sales floor has hundreds or thousands of managers, and
    rendering each option through a template costs more than the rest of the page (the
    dashboard's filters, the owner of an account's details)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = "" if value is None else str(value)
        options = "".join(
            f'<option value="{html.escape(str(key))}"{" selected" if str(key) == selected else ""}>'
            f"{html.escape(str(label))}</option>"
            for key, label in self.choices
        )
        return format_html("<select{}>{}</select>", flatatt(attrs), mark_safe(options))


class ManagerChoiceMixin:
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class ManagerChoiceField(ManagerChoiceMixin, forms.ModelChoiceField):
    pass


class ManagersChoiceField(ManagerChoiceMixin, RowsChoiceField):
    pass


# A team this size fits on the form, so every manager is offered. Past it the team form
# offers the managers already chosen and those a search finds: thousands of radio buttons and
# checkboxes are neither readable nor quick to send.
OFFER_ALL_UP_TO = 30
# How many managers one search offers; past this the form asks for a narrower search.
FOUND_AT_MOST = 20


def manager_ids(values) -> list[int]:
    """The ids among `values` (form input) that can be a row's id; anything else is dropped."""
    ids = []
    for value in values:
        text = str(getattr(value, "pk", value)).strip()
        # isascii: "²" is a digit to str.isdigit() but no number to int().
        if text.isascii() and text.isdigit() and not beyond_any_id(text):
            ids.append(int(text))
    return ids


class TeamSearch:
    """The search of the team form: whether the team is too large to list, and the managers
    that match `find` (every word in a first, last or user name or email)."""

    limit = FOUND_AT_MOST

    def __init__(self, find: str = "", *, among: QuerySet[User] | None = None):
        """`among`: the managers to search (by default, `account_managers()`)."""
        # Commas split words too ("Smith, Jane"); PostgreSQL refuses a NUL even in a search.
        self.find = " ".join(str(find).replace("\x00", "").replace(",", " ").split())[:100]
        managers = account_managers() if among is None else among
        # Whether there is a manager past the first OFFER_ALL_UP_TO: bounded, where a count
        # of the team would read every manager.
        self.searching = managers[OFFER_ALL_UP_TO : OFFER_ALL_UP_TO + 1].exists()
        self.found: list = []
        self.more = False
        if self.searching and self.find:
            self.found, self.more = managers_matching(
                self.find, limit=FOUND_AT_MOST, among=managers
            )


def told_apart(manager) -> str:
    """A manager's name with their user name: namesakes are common in a large team."""
    name = manager.get_full_name()
    return f"{name} ({manager.username})" if name else manager.username


class ManagerPickForm(forms.Form):
    """A form with one field of managers. While the team is small every manager is offered;
    past `OFFER_ALL_UP_TO`, only those `chosen` (ticked), those `kept` on offer unticked (who
    is saved now), and those the search found. Any active manager is accepted on submit."""

    field_name: str
    nobody_offered = "None to choose from."

    def offer(self, search: TeamSearch, *, chosen, kept=()) -> None:
        if not search.searching:
            return
        self.nobody_offered = "Nobody yet: find a manager above."
        field = self.fields[self.field_name]
        ids = {*manager_ids(chosen), *manager_ids(kept)}
        offered = list(account_managers().filter(pk__in=ids)) if ids else []
        offered += [manager for manager in search.found if manager.pk not in ids]
        field.widget.choices = [(manager.pk, told_apart(manager)) for manager in offered]


class OwnerForm(ManagerPickForm):
    field_name = "owner"
    owner = ManagerChoiceField(queryset=None, label="Account manager", empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, ManagerChoiceField)
        owner.queryset = account_managers()

    def offer(self, search: TeamSearch, *, chosen, kept=()) -> None:
        if search.searching:
            # A short list of names reads better as radio buttons than as a drop-down.
            self.fields["owner"].widget = forms.RadioSelect()
        super().offer(search, chosen=chosen, kept=kept)


class SharingForm(ManagerPickForm):
    field_name = "shared_with"
    shared_with = ManagersChoiceField(
        queryset=None,
        required=False,
        label="Also worked on by",
        # Checkboxes: a multiple select needs Ctrl-click, which keyboard and touch users lack.
        widget=forms.CheckboxSelectMultiple,
        help_text="These managers may read the account and log on it too.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shared_with = self.fields["shared_with"]
        assert isinstance(shared_with, ManagersChoiceField)
        shared_with.queryset = account_managers()


class AccountDetailsForm(forms.Form):
    """Who the client is. A sales lead also picks the owner; a manager's form has no owner
    field (`with_owner=False`)."""

    name = forms.CharField(max_length=200)
    industry = forms.CharField(max_length=100, required=False)
    owner = ManagerChoiceField(
        queryset=None,
        label="Account manager",
        help_text="Who looks after the relationship.",
        widget=LongSelect,
    )
    annual_revenue = forms.DecimalField(
        label="Annual revenue",
        max_digits=14,
        decimal_places=2,
        min_value=0,
        initial=0,
        help_text="What the account brings in a year, in the site's currency.",
    )
    partnership_potential = forms.ChoiceField(
        label="Partnership potential",
        choices=PartnershipPotential.choices,
        initial=PartnershipPotential.UNKNOWN,
    )
    external_id = forms.CharField(
        label="External id",
        max_length=100,
        required=False,
        help_text="Its id in another system (CRM, ERP), if any; no two accounts share one.",
    )
    domains = forms.CharField(
        label="Email domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The client's email domains, one per line or separated by commas (example.com).",
    )

    def __init__(self, *args, with_owner: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_owner:
            owner = self.fields["owner"]
            assert isinstance(owner, ManagerChoiceField)
            owner.queryset = account_managers()
        else:
            del self.fields["owner"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the account a name.")
        return name

    def clean_domains(self) -> list[str]:
        raw = self.cleaned_data["domains"].replace(",", "\n").replace(";", "\n").split()
        domains = sorted({normalise_domain(item) for item in raw if normalise_domain(item)})
        if len(domains) > MAX_DOMAINS:
            raise ValidationError(f"Give at most {MAX_DOMAINS} domains.")
        errors = []
        for domain in domains:
            try:
                validate_domain(domain)
            except ValidationError as invalid:
                errors.extend(invalid.messages)
        if errors:
            raise ValidationError(errors)
        return domains

    @staticmethod
    def initial_for(account: Account) -> dict:
        return {
            "name": account.name,
            "industry": account.industry,
            "owner": account.owner_id,
            "annual_revenue": account.annual_revenue,
            "partnership_potential": account.partnership_potential,
            "external_id": account.external_id,
            "domains": "\n".join(account.domains.values_list("domain", flat=True)),
        }


class LostForm(forms.Form):
    """Closing an account as lost: when, why (from a short list), and a note."""

    lost_on = forms.DateField(
        label="Lost on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.ChoiceField(
        label="Why it was lost", choices=[("", "Choose a reason"), *LostReason.choices]
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What happened, in a sentence or two, for whoever reads the history.",
    )

    def clean_lost_on(self) -> datetime.date:
        lost_on = self.cleaned_data["lost_on"]
        if lost_on > timezone.localdate():
            raise ValidationError("That date is in the future.")
        if lost_on < EARLIEST_LOSS:
            raise ValidationError(
                f"That is before {EARLIEST_LOSS.year}: check the year.", code="too_old"
            )
        return lost_on


class ApiTokenForm(forms.Form):
    """A new personal API token: what it is for, and whether it may write."""

    name = forms.CharField(
        label="What it is for",
        max_length=100,
        help_text="For example “BI nightly export” or “ERP sync”, to tell your tokens apart.",
    )
    read_only = forms.BooleanField(
        label="Read only",
        required=False,
        help_text="It reads what you see; any change it asks for is refused.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Say what the token is for.")
        return name
