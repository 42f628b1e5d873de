"""The private calendar feed: made and revoked on the settings page, stored hashed, read back
with the icalendar package as a calendar app would."""

from __future__ import annotations

import datetime
import hashlib

from django.urls import reverse
from icalendar import Calendar

from reminders.models import CalendarFeed
from reminders.services import feed_create
from tests.reminders.conftest import TODAY, days_ago, gone_quiet, overdue_step


def _token_from(html: str) -> str:
    start = html.index('data-testid="feed-url"')
    value = html[html.index('value="', start - 200) + 7 :]
    url = value[: value.index('"')]
    return url.rsplit("/", 1)[-1].removesuffix(".ics")


def test_a_person_makes_a_feed_and_their_calendar_reads_next_steps_and_follow_ups(
    client, alice, bob, settings
):
    settings.SITE_URL = "https://crm.example.com"
    step = overdue_step(alice)
    later = overdue_step(alice, "Later Co", days=-10)
    quiet = gone_quiet(alice)
    overdue_step(bob, "Bluepeak Foods")
    client.force_login(alice)

    response = client.post(reverse("reminder-settings"), {"action": "feed_create"})
    token = _token_from(response.content.decode())
    client.logout()
    feed = client.get(reverse("calendar-feed", args=[token]))

    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    assert feed["Cache-Control"] == "private, no-store"
    calendar = Calendar.from_ical(feed.content)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        "Northwind Freight: Send the benchmark study",
        "Later Co: Send the benchmark study",
        "Harbor Mills: Plan the review",
        "Get in touch with Harbor Mills",
    }
    # An overdue step sits on today, a later one on its day; each with an alarm.
    assert events["Northwind Freight: Send the benchmark study"].decoded("dtstart") == TODAY
    assert events["Later Co: Send the benchmark study"].decoded("dtstart") == later.next_step_due
    # Contact every 10 days: overdue after 15 days of silence, so already due: today.
    assert events["Get in touch with Harbor Mills"].decoded("dtstart") == TODAY
    for event in events.values():
        (alarm,) = event.walk("VALARM")
        assert str(alarm["action"]) == "DISPLAY"
        assert alarm.decoded("trigger") == datetime.timedelta(hours=9)
    url = str(events["Northwind Freight: Send the benchmark study"]["url"])
    assert url == f"https://crm.example.com{reverse('account-detail', args=[step.pk])}"
    assert quiet.pk and days_ago(30)  # the quiet account's last contact is 30 days back


def test_only_a_hash_of_the_token_is_kept(alice):
    token = feed_create(user=alice)
    stored = CalendarFeed.objects.get(user=alice)
    assert len(token) >= 40
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(CalendarFeed.objects.values()))


def test_a_revoked_or_replaced_or_made_up_address_is_a_404(client, alice):
    client.force_login(alice)
    first = feed_create(user=alice)
    second = feed_create(user=alice)  # a new one replaces the first
    assert client.get(reverse("calendar-feed", args=[first])).status_code == 404
    assert client.get(reverse("calendar-feed", args=[second])).status_code == 200

    response = client.post(reverse("reminder-settings"), {"action": "feed_revoke"})
    assert response.status_code == 302
    assert client.get(reverse("calendar-feed", args=[second])).status_code == 404
    assert client.get(reverse("calendar-feed", args=["x" * 43])).status_code == 404


def test_a_departed_persons_feed_shows_nothing(client, alice):
    token = feed_create(user=alice)
    alice.is_active = False
    alice.save()
    assert client.get(reverse("calendar-feed", args=[token])).status_code == 404
