"""The digest by email: each person's reminders for the day in one plain-text and HTML
message, through Django's email framework (EMAIL_* settings from the environment).

At most one digest per person and day: the `DigestSent` row is written in the same
transaction as the message goes out, and its uniqueness turns a second run (or a second
worker) for the same day into a no-op. A message the mail server refuses leaves no row, so the
next run tries again.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from reminders.models import DigestFrequency, DigestSent, ReminderPreference
from reminders.selectors import Inbox, Kind, Reminder, inbox_for

logger = logging.getLogger(__name__)


@dataclass
class DigestReport:
    """What one run did: who got a digest (or would have, in a dry run), who was already
    sent one, who had nothing, and whose message failed."""

    day: datetime.date
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    nothing_to_say: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def site_url(path: str) -> str:
    """An absolute address for a link in an email (SITE_URL, from the environment)."""
    return urljoin(settings.SITE_URL.rstrip("/") + "/", path.lstrip("/"))


def wants_digest(preference: ReminderPreference | None, day: datetime.date) -> bool:
    """Whether the person's choice asks for a digest on `day` (daily; weekly on Mondays)."""
    frequency = preference.frequency if preference else DigestFrequency.DAILY
    if frequency == DigestFrequency.OFF:
        return False
    return frequency == DigestFrequency.DAILY or day.weekday() == 0


def digest_hour(preference: ReminderPreference | None) -> int:
    return preference.hour if preference else ReminderPreference._meta.get_field("hour").default


def _linked(groups: list[tuple[Kind, list[Reminder]]]) -> list[tuple[Kind, list[tuple]]]:
    """Each reminder with the absolute address of its account's page."""
    return [
        (
            kind,
            [(r, site_url(reverse("account-detail", args=[r.account_id]))) for r in reminders],
        )
        for kind, reminders in groups
    ]


def digest_message(user: User, inbox: Inbox) -> EmailMultiAlternatives:
    """The person's digest as one message with a plain-text and an HTML part."""
    context = {
        "user": user,
        "inbox": inbox,
        "mine": _linked(inbox.by_kind(inbox.mine)),
        "team": _linked(inbox.by_kind(inbox.team)),
        "home_url": site_url(reverse("home")),
        "settings_url": site_url(reverse("reminder-settings")),
    }
    count = inbox.count
    subject = f"{count} reminder{'s' if count != 1 else ''} for {inbox.today:%A %-d %B}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("reminders/digest.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("reminders/digest.html", context), "text/html")
    return message


def _recipients(hour: int | None, day: datetime.date) -> list[User]:
    preferences = {p.user_id: p for p in ReminderPreference.objects.all()}
    people = User.objects.filter(is_active=True).exclude(email="").order_by("username")
    return [
        user
        for user in people
        if wants_digest(preferences.get(user.pk), day)
        and (hour is None or digest_hour(preferences.get(user.pk)) <= hour)
    ]


def _send_one(user: User, inbox: Inbox, connection) -> bool:
    """Send and log one digest in one transaction; False if another run logged it first."""
    try:
        with transaction.atomic():
            DigestSent.objects.create(user=user, on=inbox.today, items=inbox.count)
            message = digest_message(user, inbox)
            message.connection = connection
            message.send()
    except IntegrityError:
        return False
    return True


def digest_send(
    *, day: datetime.date, hour: int | None = None, dry_run: bool = False
) -> DigestReport:
    """Send each person their digest for `day`: those whose choice asks for one that day
    (and, with `hour`, whose hour has come: a run missed while no worker ran is made up by the
    next), who have something due and were not sent one yet."""
    report = DigestReport(day=day)
    sent_already = set(DigestSent.objects.filter(on=day).values_list("user_id", flat=True))
    connection = None if dry_run else get_connection()
    for user in _recipients(hour, day):
        if user.pk in sent_already:
            report.already_sent.append(user.username)
            continue
        try:
            inbox = inbox_for(user, day)
            if not inbox.count:
                report.nothing_to_say.append(user.username)
                continue
            if dry_run:
                report.sent.append(user.username)
                continue
            delivered = _send_one(user, inbox, connection)
        except Exception:  # one person's failure must not stop everyone else's digest
            logger.exception("The digest to %s for %s failed", user.username, day)
            report.failed.append(user.username)
            continue
        (report.sent if delivered else report.already_sent).append(user.username)
    if connection is not None:
        connection.close()
    return report
