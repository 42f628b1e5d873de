"""Forms of the capture pages: uploads, a CalDAV calendar, confirming with signals, and
assigning an item to an account. Each refuses bad input with a message next to its field."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet

from accounts.forms import RowsChoiceField, beyond_any_id
from accounts.models import Account
from relationships.forms import SignalChipsMixin
from relationships.models import SignalType

MAX_CALENDAR_BYTES = 10 * 1024 * 1024
MAX_MAIL_BYTES = 40 * 1024 * 1024
# Selecting more files than this is refused before they are read (settings.py
# DATA_UPLOAD_MAX_NUMBER_FILES); a folder that large travels as one .mbox.
MAX_MAIL_FILES = 100


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


class CalendarUploadForm(forms.Form):
    calendar = forms.FileField(
        label="Calendar file (.ics)",
        help_text="An export from Outlook, Google Calendar or Apple Calendar, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )

    def clean_calendar(self) -> UploadedFile:
        upload = self.cleaned_data["calendar"]
        if upload.size > MAX_CALENDAR_BYTES:
            raise forms.ValidationError(
                f"This file is {_megabytes(upload.size)}; the limit is 10 MB. Export a shorter "
                "period, or connect the calendar by CalDAV instead."
            )
        return upload


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field, as Django's documentation shows it:
    https://docs.djangoproject.com/en/5.2/topics/http/file-uploads/#uploading-multiple-files
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".eml,.mbox,message/rfc822"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data and self.required:  # no file chosen: the browser sends an empty list
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        # No file at all arrives as an empty list: refused as a missing file, not read as none.
        return [super().clean(data or None, initial)]


class MailUploadForm(forms.Form):
    messages = MultipleFileField(
        label="Email messages (.eml) or a mailbox (.mbox)",
        help_text=f"Up to {MAX_MAIL_FILES} messages, or one folder exported as .mbox; 40 MB "
        "in all.",
        error_messages={"required": "Choose at least one file."},
    )

    def clean_messages(self) -> list[UploadedFile]:
        uploads = self.cleaned_data["messages"]
        total = sum(upload.size for upload in uploads)
        if total > MAX_MAIL_BYTES:
            raise forms.ValidationError(
                f"These files are {_megabytes(total)} together; the limit is 40 MB. Upload "
                "fewer at a time."
            )
        return uploads


class CalDAVSourceForm(forms.Form):
    url = forms.URLField(
        label="Calendar address (CalDAV)",
        max_length=500,
        assume_scheme="https",
        help_text="The calendar's own address, as the calendar app shows it for CalDAV.",
    )
    username = forms.CharField(label="User name", max_length=200)
    password = forms.CharField(
        label="App password",
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="An app password made for this, not your main one. Stored encrypted.",
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Give the address starting with https://.")
        return url


class ConfirmForm(SignalChipsMixin, forms.Form):
    """Confirm a captured item, with the trust signals seen in it (the log form's chips), and
    the account the page showed it on (an import may move it meanwhile)."""

    account = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    signals = RowsChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Trust signals observed",
    )

    def __init__(self, *args, signal_types: list[SignalType], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        signals = self.fields["signals"]
        assert isinstance(signals, RowsChoiceField)
        signals.queryset = SignalType.objects.filter(pk__in=[t.pk for t in signal_types])
        self.signal_types = signal_types


class AccountPickField(forms.ModelChoiceField):
    """One account picked by id; a number no id column holds is an invalid choice."""

    def to_python(self, value):
        if beyond_any_id(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class AssignForm(forms.Form):
    account = AccountPickField(
        queryset=Account.objects.none(),
        label="Account",
        empty_label="Choose the account",
        error_messages={"invalid_choice": "Choose one of your active accounts."},
    )

    def __init__(self, *args, accounts: QuerySet[Account], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, AccountPickField)
        field.queryset = accounts.order_by("name")
