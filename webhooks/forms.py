"""The endpoint form of the webhooks page."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator

from webhooks.events import EVENT_TYPES

URL_MESSAGE = "Enter an http:// or https:// address, such as https://example.com/hooks."


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"], message=URL_MESSAGE)],
        error_messages={"invalid": URL_MESSAGE, "required": "Enter the address to send to."},
        help_text="Events are POSTed here as signed JSON. Use https:// outside your own network.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(kind, f"{kind}: {words}") for kind, words in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event to send."},
    )
    description = forms.CharField(
        max_length=200,
        required=False,
        help_text="What listens there, for whoever reads this page next (optional).",
    )
