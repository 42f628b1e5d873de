"""Reading calendars and mail: files alone, no database."""

from __future__ import annotations

import datetime

import pytest

from relationships.capture.parsing import (
    MAX_FOUND,
    MAX_OCCURRENCES_PER_EVENT,
    CaptureFileError,
    Window,
    parse_calendar,
    parse_mail,
)
from tests.capture.conftest import days_ago, eml, ics, vevent

TODAY = datetime.date(2026, 6, 15)
WINDOW = Window.around(TODAY)


def _weekly(uid: str = "weekly@example.com", *extra: str) -> str:
    return vevent(
        uid,
        TODAY - datetime.timedelta(weeks=4),
        summary="Weekly planning",
        attendees=["dana@northwind.example"],
        extra=["RRULE:FREQ=WEEKLY;COUNT=8", *extra],
    )


def test_a_weekly_meeting_is_one_record_per_week_inside_the_window():
    parsed = parse_calendar(ics(_weekly()), window=WINDOW)

    days = [found.occurred_on for found in parsed.found]
    # Eight weeks from four weeks ago: the last is past the 14 days kept ahead.
    assert days == [TODAY - datetime.timedelta(weeks=4 - n) for n in range(7)]
    assert len({found.recurrence_id for found in parsed.found}) == 7
    assert {found.uid for found in parsed.found} == {"weekly@example.com"}
    assert parsed.found[0].addresses == ("alice@example.com", "dana@northwind.example")
    assert parsed.found[0].organizer == "alice@example.com"


def test_a_cancelled_occurrence_is_gone_and_the_rest_of_the_series_stays():
    moved = TODAY - datetime.timedelta(weeks=2)
    cancelled = vevent(
        "weekly@example.com",
        moved,
        summary="Weekly planning",
        extra=[f"RECURRENCE-ID:{moved:%Y%m%d}T100000Z", "STATUS:CANCELLED"],
    )
    parsed = parse_calendar(ics(_weekly(), cancelled), window=WINDOW)

    assert moved not in [found.occurred_on for found in parsed.found]
    assert len(parsed.found) == 6
    assert parsed.gone == {("weekly@example.com", f"{moved:%Y%m%d}T100000Z")}


def test_a_cancelled_single_meeting_is_gone_not_found():
    parsed = parse_calendar(
        ics(vevent("off@example.com", TODAY, extra=["STATUS:CANCELLED"])), window=WINDOW
    )

    assert parsed.found == [] and parsed.gone == {("off@example.com", "")}


@pytest.mark.parametrize("privacy", ["CLASS:PRIVATE", "CLASS:CONFIDENTIAL"])
def test_private_events_are_skipped_and_counted(privacy):
    parsed = parse_calendar(
        ics(vevent("doctor@example.com", TODAY, extra=[privacy]), vevent("work@x", TODAY)),
        window=WINDOW,
    )

    assert [found.uid for found in parsed.found] == ["work@x"]
    assert parsed.skipped_private == 1 and ("doctor@example.com", "") in parsed.gone


def test_meetings_long_past_or_far_ahead_are_left_out():
    parsed = parse_calendar(
        ics(
            vevent("old@x", TODAY - datetime.timedelta(days=91)),
            vevent("edge@x", TODAY - datetime.timedelta(days=90)),
            vevent("ahead@x", TODAY + datetime.timedelta(days=15)),
        ),
        window=WINDOW,
    )

    assert [found.uid for found in parsed.found] == ["edge@x"]
    assert parsed.uids == {"old@x", "edge@x", "ahead@x"}


def test_a_single_meeting_moved_to_another_day_keeps_its_key():
    before = parse_calendar(ics(vevent("one@x", TODAY)), window=WINDOW).found[0]
    after = parse_calendar(ics(vevent("one@x", TODAY - datetime.timedelta(days=1))), window=WINDOW)

    assert after.found[0].key == before.key == ("one@x", "")


def test_an_all_day_event_is_on_its_day():
    event = "\r\n".join(
        [
            "BEGIN:VEVENT",
            "UID:day@x",
            f"DTSTART;VALUE=DATE:{TODAY:%Y%m%d}",
            "SUMMARY:Offsite",
            "END:VEVENT",
        ]
    )
    found = parse_calendar(ics(event), window=WINDOW).found[0]

    assert found.occurred_on == TODAY and found.starts_at is None


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"Name,Date\nLunch,2026-01-01\n", "This is not an iCalendar file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "This is not an iCalendar file"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026\x00\r\n", "damaged"),
    ],
)
def test_a_file_that_is_not_a_calendar_is_refused_in_words(data, says):
    with pytest.raises(CaptureFileError, match=says):
        parse_calendar(data, window=WINDOW)


# Mail -------------------------------------------------------------------------------------------


def test_a_message_gives_its_sender_recipients_day_and_subject():
    message = eml(
        sender="Dana Reyes <dana@northwind.example>",
        to=["Alice <alice@example.com>"],
        cc=["kim@northwind.example"],
        day=TODAY,
        subject="Next year's plans",
        message_id="m1@northwind.example",
    )
    parsed = parse_mail([("m1.eml", message)], window=WINDOW)

    (found,) = parsed.found
    assert found.kind == "message" and found.occurred_on == TODAY
    assert found.subject == "Next year's plans" and found.organizer == "dana@northwind.example"
    assert found.addresses == (
        "alice@example.com",
        "dana@northwind.example",
        "kim@northwind.example",
    )
    assert found.key == ("mid:m1@northwind.example", "")


def test_a_message_marked_private_is_skipped():
    private = eml(
        sender="dana@northwind.example",
        to=["alice@example.com"],
        day=TODAY,
        subject="Personal",
        message_id="p@x",
        headers=["Sensitivity: Private"],
    )

    parsed = parse_mail([("p.eml", private)], window=WINDOW)

    assert parsed.found == [] and parsed.skipped_private == 1


def test_an_mbox_gives_every_message():
    messages = [
        eml(
            sender="dana@northwind.example",
            to=["alice@example.com"],
            day=days_ago(1),
            subject=f"Note {n}",
            message_id=f"n{n}@x",
        )
        for n in range(3)
    ]
    mbox = b"".join(
        b"From dana@northwind.example Mon Jan  1 00:00:00 2026\n" + m + b"\n" for m in messages
    )

    parsed = parse_mail([("Clients.mbox", mbox)], window=Window.around(days_ago(0)))

    assert sorted(found.subject for found in parsed.found) == ["Note 0", "Note 1", "Note 2"]


def test_a_file_that_is_not_mail_is_refused_naming_it():
    with pytest.raises(CaptureFileError, match="notes.txt holds no email message"):
        parse_mail([("notes.txt", b"just some words\n")], window=WINDOW)


def test_an_event_without_a_start_is_skipped_as_unreadable_and_the_rest_is_read():
    no_start = "\r\n".join(["BEGIN:VEVENT", "UID:nostart@x", "SUMMARY:Undated", "END:VEVENT"])

    parsed = parse_calendar(ics(no_start, vevent("work@x", TODAY)), window=WINDOW)

    assert [found.uid for found in parsed.found] == ["work@x"]
    assert parsed.unreadable == 1


def test_an_event_whose_rule_cannot_be_read_is_skipped_and_the_rest_is_read():
    broken = vevent("rule@x", TODAY, extra=["RRULE:FREQ=WEEKLY;UNTIL=20261301"])

    parsed = parse_calendar(ics(broken, vevent("work@x", TODAY)), window=WINDOW)

    assert [found.uid for found in parsed.found] == ["work@x"]
    assert parsed.unreadable == 1 and parsed.uids == {"work@x"}


def test_a_meeting_repeating_every_minute_keeps_only_its_first_occurrences():
    flood = vevent(
        "flood@x",
        TODAY - datetime.timedelta(days=30),
        extra=["RRULE:FREQ=SECONDLY;INTERVAL=60"],
    )

    parsed = parse_calendar(ics(flood, vevent("work@x", TODAY)), window=WINDOW)

    flooded = [found for found in parsed.found if found.uid == "flood@x"]
    assert len(flooded) == MAX_OCCURRENCES_PER_EVENT
    assert len({found.recurrence_id for found in flooded}) == MAX_OCCURRENCES_PER_EVENT
    assert "work@x" in {found.uid for found in parsed.found}
    assert (parsed.capped_series, parsed.left_out) == (1, 0)


def test_a_calendar_with_too_many_meetings_is_cut_at_the_limit_and_says_so():
    hourly = [
        vevent(f"h{n}@x", TODAY - datetime.timedelta(days=80), extra=["RRULE:FREQ=HOURLY"])
        for n in range(MAX_FOUND // MAX_OCCURRENCES_PER_EVENT + 1)
    ]

    parsed = parse_calendar(ics(*hourly), window=WINDOW)

    assert len(parsed.found) == MAX_FOUND
    assert parsed.capped_series == len(hourly)
    assert parsed.left_out == len(hourly) * MAX_OCCURRENCES_PER_EVENT - MAX_FOUND


def test_the_same_message_twice_in_one_upload_is_read_once():
    message = eml(
        sender="dana@northwind.example",
        to=["alice@example.com"],
        day=TODAY,
        subject="Twice",
        message_id="twice@x",
    )

    parsed = parse_mail([("a.eml", message), ("a (1).eml", message)], window=WINDOW)

    assert [found.subject for found in parsed.found] == ["Twice"]
