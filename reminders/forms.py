"""The forms of the reminders: a person's digest choices, and what they do with a reminder."""

from __future__ import annotations

from django import forms

from reminders.models import ReminderPreference
from reminders.services import ACTIONS

HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


class ReminderPreferenceForm(forms.ModelForm):
    hour = forms.TypedChoiceField(
        label="At", choices=HOURS, coerce=int, help_text="The hour of the day it arrives."
    )

    class Meta:
        model = ReminderPreference
        fields = ["frequency", "hour"]
        widgets = {"frequency": forms.RadioSelect}


# What each button of a reminder does, as the note after a plain-form POST says it.
MARK_ACTIONS = {
    "done": "Done",
    "snooze_day": "Snoozed for a day",
    "snooze_week": "Snoozed for a week",
    "dismiss": "Dismissed",
}


class ReminderMarkForm(forms.Form):
    key = forms.CharField(max_length=120)
    action = forms.ChoiceField(choices=list(MARK_ACTIONS.items()))

    def clean_action(self) -> str:
        action = self.cleaned_data["action"]
        assert action in ACTIONS
        return action
