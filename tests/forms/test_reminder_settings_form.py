"""A person's digest choices (how often, at what hour), with any input."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given

from reminders.models import ReminderPreference
from tests.forms.strategies import FUZZ, classic_cases, fuzz
from tests.forms.support import accepted, assert_answered, assert_explained, payload, rolled_back


def _choice(user) -> tuple | None:
    preference = ReminderPreference.objects.filter(user=user).first()
    return None if preference is None else (preference.frequency, preference.hour)


@FUZZ
@classic_cases("frequency", "hour")
@given(changes=fuzz("frequency", "hour"))
def test_digest_choices_take_any_input_and_save_whole_or_explain(client, alice, changes):
    """A frequency among the three and an hour 0-23 are saved; anything else is explained next
    to its field and the earlier choice stays."""
    data = payload({"frequency": "weekly", "hour": "18"}, changes)
    with rolled_back():
        ReminderPreference.objects.create(user=alice, frequency="daily", hour=7)
        client.force_login(alice)

        response = client.post(reverse("reminder-settings"), data)

        assert_answered(response)
        if accepted(response):
            frequency, hour = _choice(alice)
            assert frequency in ("daily", "weekly", "off") and 0 <= hour <= 23
        else:
            assert_explained(response, response.context["form"])
            assert _choice(alice) == ("daily", 7)
