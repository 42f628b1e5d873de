"""Calendars (.ics) and mail (.eml, .mbox) read into plain records of who met or wrote when.

No database here: the functions take bytes and a window of days and return what they found,
what the file says is gone (cancelled or made private) and what they skipped, so they are
tested on files alone. Recurring events are expanded into one record per occurrence inside the
window (`recurring-ical-events`); messages are read with the standard library's `email`
package under its modern policy.
"""

from __future__ import annotations

import datetime
import email
import email.message
import email.policy
import email.utils
import hashlib
import itertools
import mailbox
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import icalendar
import recurring_ical_events
from django.utils import timezone

# Meetings from this many days back can still be confirmed; events up to UPCOMING_DAYS ahead
# are kept (out of the review list until their day) so that a meeting synced this week is
# ready to confirm the day it happens.
PAST_DAYS = 90
UPCOMING_DAYS = 14

# CLASS values (RFC 5545) and Sensitivity values (RFC 2156, what Outlook writes) that keep an
# event or a message out of capture altogether.
PRIVATE_CLASSES = {"PRIVATE", "CONFIDENTIAL"}
PRIVATE_SENSITIVITIES = {"private", "personal", "company-confidential"}

SUBJECT_LENGTH = 300

# A repeating event gives at most this many occurrences inside the window (a meeting every
# hour of working days is about 700 in 104 days; a rule every minute would be 150,000), and a
# file or a sync at most MAX_FOUND records: a calendar cannot flood the review list.
MAX_OCCURRENCES_PER_EVENT = 500
MAX_FOUND = 5000


class CaptureFileError(ValueError):
    """A file that cannot be read as what it claims to be; the message is for the user."""


@dataclass(frozen=True)
class Window:
    """The days whose meetings and messages are kept, both ends included."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def around(cls, today: datetime.date) -> Window:
        return cls(
            today - datetime.timedelta(days=PAST_DAYS),
            today + datetime.timedelta(days=UPCOMING_DAYS),
        )

    def __contains__(self, day: object) -> bool:
        return isinstance(day, datetime.date) and self.start <= day <= self.end


@dataclass(frozen=True)
class Found:
    """One meeting (one occurrence of a recurring one) or one message."""

    kind: str  # ItemKind: "event" or "message"
    uid: str
    recurrence_id: str
    occurred_on: datetime.date
    starts_at: datetime.datetime | None
    subject: str
    addresses: tuple[str, ...]
    organizer: str
    href: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.uid, self.recurrence_id)


@dataclass
class Parsed:
    """What a file (or a sync) held: the records inside the window, the keys it says are gone
    (cancelled, or made private), every UID it holds (to tell what disappeared from a
    recurring series), and what was skipped."""

    found: list[Found] = field(default_factory=list)
    gone: set[tuple[str, str]] = field(default_factory=set)
    uids: set[str] = field(default_factory=set)
    hrefs: set[str] = field(default_factory=set)
    skipped_private: int = 0
    unreadable: int = 0
    # Repeating events cut at MAX_OCCURRENCES_PER_EVENT, and records beyond MAX_FOUND.
    capped_series: int = 0
    left_out: int = 0

    def extend(self, other: Parsed) -> None:
        self.found += other.found
        self.gone |= other.gone
        self.uids |= other.uids
        self.hrefs |= other.hrefs
        self.skipped_private += other.skipped_private
        self.unreadable += other.unreadable
        self.capped_series += other.capped_series
        self.left_out += other.left_out

    def cap(self) -> None:
        """Keep the MAX_FOUND most recent records; count the rest as left out."""
        if len(self.found) > MAX_FOUND:
            self.found.sort(key=lambda found: (found.occurred_on, found.key), reverse=True)
            self.left_out += len(self.found) - MAX_FOUND
            del self.found[MAX_FOUND:]


def _plain(text: str) -> str:
    """`text` as a database can store it: no NUL characters (PostgreSQL refuses them), and
    bytes that were not text (which the email parser keeps as lone surrogates) as U+FFFD."""
    if text.isascii() and "\x00" not in text:
        return text
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text if ch != "\x00")


def _address(value: Any) -> str:
    """ "mailto:Dana@Example.com" as dana@example.com; "" when it is no address."""
    text = _plain(str(value or "")).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    return text if "@" in text and " " not in text else ""


def _day_and_moment(value: Any) -> tuple[datetime.date, datetime.datetime | None]:
    """A DTSTART's day in TIME_ZONE, and its moment when it has one (all-day events have
    none; a floating time is read in TIME_ZONE)."""
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return timezone.localdate(value), value
    return value, None


def _recurrence_key(value: Any) -> str:
    """A recurrence id the same way whichever time zone the file wrote it in."""
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            return value.strftime("%Y%m%dT%H%M%S")
        return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    if isinstance(value, datetime.date):
        return value.strftime("%Y%m%d")
    return ""


def _event_uid(event: Any) -> str:
    uid = _plain(str(event.get("UID") or "")).strip()
    if uid:
        return uid[:500]
    # A file without UIDs (rare, hand-made): the summary and start stand in, stable enough for
    # a re-import of the same file.
    start = event.get("DTSTART")
    seed = f"{event.get('SUMMARY', '')}|{start.to_ical() if start is not None else ''}"
    return "nouid-" + hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:32]


def _attendees(event: Any) -> list[str]:
    value = event.get("ATTENDEE") or []
    if not isinstance(value, list):
        value = [value]
    return [_address(attendee) for attendee in value]


def _load_calendar(data: bytes) -> Any:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    if not head.startswith(b"BEGIN:VCALENDAR"):
        raise CaptureFileError(
            "This is not an iCalendar file: export the calendar as .ics (it starts with "
            "BEGIN:VCALENDAR)."
        )
    try:
        return icalendar.Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError) as broken:
        raise CaptureFileError(
            f"The calendar file is damaged and could not be read ({str(broken)[:120]})."
        ) from None


def _series(calendar: Any) -> set[str]:
    """UIDs of recurring events: their occurrences are told apart by recurrence id."""
    return {
        _event_uid(event)
        for event in calendar.walk("VEVENT")
        if any(name in event for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    }


def _without_start(calendar: Any) -> int:
    """Take the events without a DTSTART out of the calendar (no day to put them on, and the
    recurrence library cannot read them); how many there were."""
    kept = [
        part
        for part in calendar.subcomponents
        if getattr(part, "name", "") != "VEVENT" or part.get("DTSTART") is not None
    ]
    dropped = len(calendar.subcomponents) - len(kept)
    calendar.subcomponents[:] = kept
    return dropped


def _by_event(calendar: Any) -> Iterator[tuple[str, Any]]:
    """One small calendar per event (its UID's components, with the file's time zones), so
    that a rule the recurrence library cannot read costs that event only."""
    zones = [part for part in calendar.subcomponents if getattr(part, "name", "") == "VTIMEZONE"]
    events: dict[str, list[Any]] = {}
    for part in calendar.walk("VEVENT"):
        events.setdefault(_event_uid(part), []).append(part)
    for uid, parts in events.items():
        single = icalendar.Calendar(calendar)  # the calendar's properties (X-WR-TIMEZONE)
        single.subcomponents = [*zones, *parts]
        yield uid, single


def _occurrences(calendar: Any, window: Window, parsed: Parsed) -> Iterator[Any]:
    """Each event's occurrences inside the window, at most MAX_OCCURRENCES_PER_EVENT of each
    (the rest counted in `capped_series`, never expanded: a rule every second stays cheap).
    An event whose rule cannot be expanded is counted unreadable (and its UID left out of
    `uids`: this file does not speak for its occurrences)."""
    stop = window.end + datetime.timedelta(days=1)
    for uid, single in _by_event(calendar):
        try:
            query = recurring_ical_events.of(single, skip_bad_series=True)
            taken = [
                occurrence
                for series in query.series
                for occurrence in itertools.islice(
                    series.between(window.start, stop), MAX_OCCURRENCES_PER_EVENT + 1
                )
            ]
            components = [occurrence.as_component(False) for occurrence in taken]
        except Exception:  # the library's own errors, and dateutil's, for a rule it cannot read
            parsed.unreadable += 1
            parsed.uids.discard(uid)
            continue
        if len(taken) > MAX_OCCURRENCES_PER_EVENT:
            parsed.capped_series += 1
            components = components[:MAX_OCCURRENCES_PER_EVENT]
        yield from components


def parse_calendar(data: bytes, *, window: Window, href: str = "") -> Parsed:
    """Every meeting of an iCalendar file inside `window`, one per occurrence. Cancelled
    occurrences and private events (CLASS:PRIVATE or CONFIDENTIAL) are not records: their keys
    are in `gone`, so one captured before is taken off the review list."""
    calendar = _load_calendar(data)
    parsed = Parsed(hrefs={href} if href else set())
    parsed.unreadable = _without_start(calendar)
    series = _series(calendar)
    parsed.uids = {_event_uid(event) for event in calendar.walk("VEVENT")}
    for event in _occurrences(calendar, window, parsed):
        uid = _event_uid(event)
        recurrence = _recurrence_key(event["RECURRENCE-ID"].dt) if uid in series else ""
        key = (uid, recurrence)
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            parsed.gone.add(key)
            continue
        if str(event.get("CLASS", "")).upper() in PRIVATE_CLASSES:
            parsed.gone.add(key)
            parsed.skipped_private += 1
            continue
        start = event.get("DTSTART")
        if start is None:
            parsed.unreadable += 1
            continue
        day, moment = _day_and_moment(start.dt)
        if day not in window:
            continue
        organizer = _address(event.get("ORGANIZER"))
        addresses = {a for a in [organizer, *_attendees(event)] if a}
        parsed.found.append(
            Found(
                kind="event",
                uid=uid,
                recurrence_id=recurrence,
                occurred_on=day,
                starts_at=moment,
                subject=_plain(str(event.get("SUMMARY", ""))).strip()[:SUBJECT_LENGTH],
                addresses=tuple(sorted(addresses)),
                organizer=organizer,
                href=href,
            )
        )
    parsed.cap()
    return parsed


# Mail -----------------------------------------------------------------------------------------


def _header_addresses(message: email.message.EmailMessage, name: str) -> list[str]:
    try:
        header = message[name]
    except (ValueError, IndexError, TypeError):  # a header the parser could not make sense of
        return []
    if header is None:
        return []
    found = getattr(header, "addresses", None)
    if found is None:  # a header the policy keeps as plain text
        return [_address(addr) for _, addr in email.utils.getaddresses([str(header)])]
    return [_address(address.addr_spec) for address in found]


def _message_moment(message: email.message.EmailMessage) -> datetime.datetime | None:
    try:
        header = message["Date"]
        moment = getattr(header, "datetime", None)
    except (ValueError, IndexError, TypeError):
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _message_uid(message: email.message.EmailMessage, moment: datetime.datetime) -> str:
    try:
        message_id = _plain(str(message["Message-ID"] or "")).strip().strip("<>")
    except (ValueError, IndexError, TypeError):
        message_id = ""
    if message_id:
        return "mid:" + message_id[:480]
    seed = f"{moment.isoformat()}|{message['From']}|{message['Subject']}"
    return "mail-" + hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:32]


def _read_message(message: email.message.EmailMessage, window: Window, parsed: Parsed) -> bool:
    """Add the message to `parsed` (once: a copy of one read already is passed over); whether
    it could be read."""
    moment = _message_moment(message)
    senders = _header_addresses(message, "From")
    if moment is None or not senders:
        parsed.unreadable += 1
        return False
    uid = _message_uid(message, moment)
    if uid in parsed.uids:
        return True
    parsed.uids.add(uid)
    if str(message.get("Sensitivity", "")).strip().lower() in PRIVATE_SENSITIVITIES:
        parsed.gone.add((uid, ""))
        parsed.skipped_private += 1
        return True
    day = timezone.localdate(moment)
    if day not in window:
        return True
    organizer = senders[0]
    addresses = {
        address
        for name in ("From", "To", "Cc")
        for address in _header_addresses(message, name)
        if address
    }
    parsed.found.append(
        Found(
            kind="message",
            uid=uid,
            recurrence_id="",
            occurred_on=day,
            starts_at=moment,
            subject=_plain(str(message.get("Subject", "") or "")).strip()[:SUBJECT_LENGTH],
            addresses=tuple(sorted(addresses)),
            organizer=organizer,
        )
    )
    return True


def _looks_like_mbox(name: str, data: bytes) -> bool:
    return name.lower().endswith(".mbox") or data.startswith(b"From ")


def _mbox_messages(data: bytes) -> Iterator[email.message.EmailMessage]:
    """The messages of an mbox file, through the standard library's reader (which wants a
    file on disk)."""
    handle, path = tempfile.mkstemp(suffix=".mbox")
    try:
        with os.fdopen(handle, "wb") as written:
            written.write(data)
        box = mailbox.mbox(path, create=False)
        try:
            for key in box.iterkeys():
                yield email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        finally:
            box.close()
    finally:
        os.unlink(path)


def _messages_of(name: str, data: bytes) -> Iterable[email.message.EmailMessage]:
    if _looks_like_mbox(name, data):
        return _mbox_messages(data)
    message = email.message_from_bytes(data, policy=email.policy.default)
    return [message]


def parse_mail(files: Iterable[tuple[str, bytes]], *, window: Window) -> Parsed:
    """Every message of some .eml files or an .mbox inside `window`, with its sender and
    recipients (From, To, Cc). A message marked private (Sensitivity: Private, Personal or
    Company-Confidential) is skipped. A file in which no message can be read is refused,
    naming it."""
    parsed = Parsed()
    for name, data in files:
        if b"\x00" in data[:4096]:
            raise CaptureFileError(f"{name} is not an email message (.eml) or a mailbox (.mbox).")
        read = [_read_message(message, window, parsed) for message in _messages_of(name, data)]
        if not any(read):
            raise CaptureFileError(
                f"{name} holds no email message that could be read (each needs a From and a "
                "Date): export messages as .eml or a folder as .mbox."
            )
    parsed.cap()
    return parsed
