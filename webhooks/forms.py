"""The endpoint form of the webhooks page."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.core.validators import URLValidator

from webhooks.addresses import url_host_refusal
from webhooks.events import EVENT_TYPES

URL_MESSAGE = "Enter an http:// or https:// address, such as https://example.com/hooks."
PORT_MESSAGE = "The port must be a number from 1 to 65535."


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"], message=URL_MESSAGE)],
        error_messages={"invalid": URL_MESSAGE, "required": "Enter the address to send to."},
        help_text=(
            "Events are POSTed here as signed JSON. Use https:// outside your own network. "
            "Addresses of this server and cloud metadata services are refused."
        ),
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

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:  # above 65535
            port = 0
        if port == 0:
            raise forms.ValidationError(PORT_MESSAGE, code="port")
        refusal = url_host_refusal(parts.hostname or "", port or _default_port(parts.scheme))
        if refusal:
            raise forms.ValidationError(f"Webhooks are not sent there: {refusal}.", code="address")
        return url


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
