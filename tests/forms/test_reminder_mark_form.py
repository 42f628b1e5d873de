"""Done, snooze or dismiss on a Today reminder, with any input."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from reminders.models import ReminderMark
from reminders.selectors import inbox_for
from tests.factories import AccountFactory
from tests.forms.strategies import FUZZ, classic_cases, fuzz, with_refs
from tests.forms.support import HTMX, assert_answered, payload, rolled_back


@FUZZ
@classic_cases("key", "action", htmx=True)
@given(
    changes=fuzz("key", "action", values=with_refs("alices", "bobs", "snooze_week", "done")),
    htmx=st.booleans(),
)
def test_marking_takes_any_input_and_marks_only_the_persons_own_reminder(
    client, alice, bob, changes, htmx
):
    """A valid action on one of the person's reminders is recorded; anything else is a 404
    and records nothing."""
    today = timezone.localdate()
    with rolled_back():
        AccountFactory(owner=alice, next_step="Call", next_step_due=today)
        AccountFactory(owner=bob, next_step="Call", next_step_due=today)
        (alices,) = inbox_for(alice, today).reminders
        (bobs,) = inbox_for(bob, today).reminders
        refs = {"alices": alices.key, "bobs": bobs.key, "snooze_week": "snooze_week"}
        data = payload({"key": alices.key, "action": "dismiss"}, changes, {**refs, "done": "done"})
        client.force_login(alice)

        response = client.post(reverse("reminder-mark"), data, **(HTMX if htmx else {}))

        assert_answered(response, 404)
        marks = list(ReminderMark.objects.values_list("user_id", "key", "state"))
        if response.status_code == 404:
            assert marks == []
        else:
            ((user_id, key, state),) = marks
            assert (user_id, key) == (alice.pk, alices.key)
            assert state in ("done", "snoozed", "dismissed")
