"""A person's next steps and due follow-ups as an iCalendar feed (RFC 5545), with an alarm
on each, for Outlook, Google Calendar or Apple Calendar to subscribe to."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.urls import reverse
from icalendar import Alarm, Calendar, Event

from reminders.digest import site_url
from reminders.selectors import accounts_in_scope
from scoring.models import ScoringProfile
from scoring.standings import account_rows_for, contact_overdue_after_days, usual_rhythm_days

# Alarms ring at 9:00 on the day (all-day events start at midnight).
ALARM_AFTER_START = datetime.timedelta(hours=9)


def _event(*, uid: str, summary: str, day: datetime.date, description: str, url: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", day)
    event.add("dtend", day + datetime.timedelta(days=1))
    event.add("dtstamp", datetime.datetime.now(tz=datetime.UTC))
    event.add("description", f"{description}\n{url}")
    event.add("url", url)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", ALARM_AFTER_START)
    event.add_component(alarm)
    return event


@dataclass(frozen=True)
class FollowUp:
    account_id: int
    account_name: str
    last_contact_on: datetime.date
    due_on: datetime.date


def _follow_ups(user: User, today: datetime.date) -> list[FollowUp]:
    """The person's own active accounts with the day contact falls due by their rhythm."""
    profile = ScoringProfile.objects.get(is_active=True)
    rows = account_rows_for(
        user, rhythm_window_days=profile.params["rhythm_window_days"], today=today
    ).filter(pk__in=accounts_in_scope(user).filter(owner=user).values("pk"))
    follow_ups = []
    for account in rows:
        rhythm, last = usual_rhythm_days(account), account.last_contact_on
        if rhythm is None or last is None:
            continue
        due = last + datetime.timedelta(days=int(contact_overdue_after_days(rhythm)))
        follow_ups.append(FollowUp(account.pk, account.name, last, max(due, today)))
    return follow_ups


def calendar_for(user: User, today: datetime.date) -> bytes:
    """The person's feed: a day-long event with an alarm for each next step of their own
    active accounts, and one for each follow-up due by the account's usual rhythm (an
    overdue one on today)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Relationship tracker//Reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Account reminders")
    own = accounts_in_scope(user).filter(owner=user, next_step_due__isnull=False)
    for account in own.order_by("next_step_due", "name"):
        if account.next_step_due is None:  # excluded by the query; for the type checker
            continue
        url = site_url(reverse("account-detail", args=[account.pk]))
        calendar.add_component(
            _event(
                uid=f"next-step-{account.pk}-{account.next_step_due}@relationship-tracker",
                summary=f"{account.name}: {account.next_step}",
                day=max(account.next_step_due, today),
                description=f"Next step for {account.name}, due {account.next_step_due}.",
                url=url,
            )
        )
    for follow_up in _follow_ups(user, today):
        url = site_url(reverse("account-detail", args=[follow_up.account_id]))
        calendar.add_component(
            _event(
                uid=(
                    f"follow-up-{follow_up.account_id}-{follow_up.last_contact_on}"
                    "@relationship-tracker"
                ),
                summary=f"Get in touch with {follow_up.account_name}",
                day=follow_up.due_on,
                description=(f"Last contact {follow_up.last_contact_on}: due by its usual rhythm."),
                url=url,
            )
        )
    return calendar.to_ical()
