"""Uploading calendars and mail, the review list, and what confirming, discarding and
assigning do, through the pages as a manager uses them."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relationships.capture.models import CapturedItem, CaptureSource
from relationships.capture.parsing import MAX_OCCURRENCES_PER_EVENT
from relationships.models import Interaction, SignalType
from scoring.models import ScoreSnapshot
from tests.capture.conftest import days_ago, eml, ics, vevent
from tests.factories import AccountFactory, ContactFactory


def _upload(client, data: bytes, name: str = "calendar.ics"):
    return client.post(
        reverse("capture-calendar-upload"),
        {"calendar": SimpleUploadedFile(name, data, content_type="text/calendar")},
    )


def _confirm(client, item: CapturedItem, **headers):
    """The one-click Confirm, sending the account the review list shows the item on."""
    return client.post(
        reverse("capture-item-confirm", args=[item.pk]), {"account": item.account_id}, **headers
    )


def _items(owner) -> dict[str, CapturedItem]:
    return {item.subject: item for item in CapturedItem.objects.filter(owner=owner)}


def _week_of_meetings() -> bytes:
    return ics(
        vevent(
            "a@x", days_ago(1), summary="Dana's review", attendees=["dana.reyes@northwind.example"]
        ),
        vevent("b@x", days_ago(2), summary="Ops sync", attendees=["someone.new@northwind.example"]),
        vevent("c@x", days_ago(3), summary="Team lunch", attendees=["carmen@example.com"]),
        vevent("d@x", days_ago(4), summary="Bluepeak tasting", attendees=["pat@bluepeak.example"]),
    )


def test_an_upload_matches_by_contact_and_by_domain_and_never_by_our_own_domain(
    client, alice, northwind, bluepeak
):
    client.force_login(alice)

    response = _upload(client, _week_of_meetings())

    assert response.status_code == 302 and response["Location"] == reverse("capture-review")
    items = _items(alice)
    assert items["Dana's review"].account == northwind
    assert list(items["Dana's review"].participants.all()) == [northwind.dana]
    assert items["Ops sync"].account == northwind  # the domain alone
    assert list(items["Ops sync"].participants.all()) == []
    assert items["Team lunch"].account is None  # example.com is ours
    assert items["Team lunch"].addresses == []
    # Bluepeak is Bob's: Alice's calendar is never matched to it.
    assert items["Bluepeak tasting"].account is None
    page = client.get(reverse("capture-review")).content.decode()
    assert '<span data-testid="capture-count">2</span> to confirm' in page
    assert "Not matched to an account (2)" in page
    assert "Bluepeak Foods" not in page  # not even offered to assign


def test_our_own_domains_come_from_the_setting_when_set(client, alice, northwind, settings):
    settings.OWN_EMAIL_DOMAINS = ["northwind.example"]  # say we were bought by them
    client.force_login(alice)

    _upload(client, _week_of_meetings())

    assert _items(alice)["Dana's review"].account is None


def test_importing_the_same_calendar_again_never_duplicates_or_brings_back(
    client, alice, northwind
):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    items = _items(alice)
    _confirm(client, items["Dana's review"])
    client.post(reverse("capture-item-discard", args=[items["Ops sync"].pk]))

    _upload(client, _week_of_meetings())
    _upload(client, _week_of_meetings())

    assert CapturedItem.objects.filter(owner=alice).count() == 4
    assert Interaction.objects.filter(account=northwind, notes="Dana's review").count() == 1
    statuses = {item.subject: item.status for item in CapturedItem.objects.all()}
    assert statuses["Dana's review"] == "confirmed" and statuses["Ops sync"] == "discarded"
    assert CaptureSource.objects.filter(owner=alice).count() == 3


def test_a_cancellation_takes_a_waiting_meeting_off_the_list_but_not_a_confirmed_one(
    client, alice, northwind
):
    client.force_login(alice)
    dana = ["dana.reyes@northwind.example"]
    _upload(
        client,
        ics(
            vevent("kept@x", days_ago(2), summary="Kept", attendees=dana),
            vevent("off@x", days_ago(1), summary="Called off", attendees=dana),
        ),
    )
    _confirm(client, _items(alice)["Kept"])

    _upload(
        client,
        ics(
            vevent(
                "kept@x", days_ago(2), summary="Kept", attendees=dana, extra=["STATUS:CANCELLED"]
            ),
            vevent(
                "off@x",
                days_ago(1),
                summary="Called off",
                attendees=dana,
                extra=["STATUS:CANCELLED"],
            ),
        ),
    )

    assert list(_items(alice)) == ["Kept"]
    assert Interaction.objects.filter(notes="Kept").exists()


def test_an_occurrence_dropped_from_a_series_leaves_the_list(client, alice, northwind):
    client.force_login(alice)
    start = days_ago(21)
    series = ["RRULE:FREQ=WEEKLY;COUNT=3"]
    dana = ["dana.reyes@northwind.example"]
    _upload(client, ics(vevent("s@x", start, summary="Weekly", attendees=dana, extra=series)))
    assert CapturedItem.objects.count() == 3

    skipped = start + datetime.timedelta(weeks=1)
    _upload(
        client,
        ics(
            vevent(
                "s@x",
                start,
                summary="Weekly",
                attendees=dana,
                extra=[*series, f"EXDATE:{skipped:%Y%m%d}T100000Z"],
            )
        ),
    )

    assert sorted(CapturedItem.objects.values_list("occurred_on", flat=True)) == [
        start,
        start + datetime.timedelta(weeks=2),
    ]


def test_confirming_logs_the_meeting_and_scores_the_account(client, alice, northwind):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    item = _items(alice)["Dana's review"]
    planning = SignalType.objects.get(slug="invited_to_planning")

    response = client.post(
        reverse("capture-item-confirm", args=[item.pk]),
        {"signals": [planning.pk], "account": northwind.pk},
    )

    assert response.status_code == 302
    interaction = Interaction.objects.get(account=northwind)
    assert interaction.kind == "meeting" and interaction.occurred_on == days_ago(1)
    assert interaction.notes == "Dana's review" and interaction.logged_by == alice
    assert list(interaction.participants.all()) == [northwind.dana]
    assert [s.signal_type for s in interaction.signals.all()] == [planning]
    assert ScoreSnapshot.objects.filter(account=northwind).exists()
    item.refresh_from_db()
    assert item.status == "confirmed" and item.interaction == interaction
    note = client.get(reverse("capture-review")).content.decode()
    assert "Logged the meeting of" in note and "First score" in note


def test_the_one_click_confirm_answers_in_place(client, alice, northwind):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    item = _items(alice)["Ops sync"]

    response = _confirm(client, item, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200 and f'id="capture-item-{item.pk}"' in html
    assert "Logged the meeting of" in html and 'hx-swap-oob="innerHTML"' in html
    again = _confirm(client, item, HTTP_HX_REQUEST="true")
    assert "already confirmed or discarded" in again.content.decode()
    assert Interaction.objects.filter(notes="Ops sync").count() == 1


def test_an_unmatched_meeting_can_be_put_on_an_account_then_confirmed(client, alice, northwind):
    client.force_login(alice)
    carmen = ContactFactory(account=northwind, name="Carmen", email="")
    _upload(
        client, ics(vevent("m@x", days_ago(1), summary="Coffee", attendees=["x@gmail.example"]))
    )
    item = _items(alice)["Coffee"]
    assert item.account is None

    client.post(reverse("capture-item-assign", args=[item.pk]), {"account": northwind.pk})
    client.post(reverse("capture-item-confirm", args=[item.pk]), {"account": northwind.pk})

    interaction = Interaction.objects.get(notes="Coffee")
    assert interaction.account == northwind
    assert carmen not in interaction.participants.all()
    # A later import keeps the manager's choice.
    _upload(
        client, ics(vevent("m@x", days_ago(1), summary="Coffee", attendees=["x@gmail.example"]))
    )
    assert _items(alice)["Coffee"].account == northwind


def test_a_manager_cannot_assign_to_someone_elses_account(client, alice, northwind, bluepeak):
    client.force_login(alice)
    _upload(client, ics(vevent("m@x", days_ago(1), summary="Coffee")))
    item = _items(alice)["Coffee"]

    client.post(reverse("capture-item-assign", args=[item.pk]), {"account": bluepeak.pk})

    item.refresh_from_db()
    assert item.account is None
    refused = client.get(reverse("capture-review")).content.decode()
    assert "Choose one of your active accounts." in refused


def test_another_managers_items_and_sources_are_not_found(client, alice, bob, northwind):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    item = _items(alice)["Dana's review"]
    source = CaptureSource.objects.get(owner=alice)
    client.force_login(bob)

    for name in ("capture-item-confirm", "capture-item-discard", "capture-item-assign"):
        assert client.post(reverse(name, args=[item.pk])).status_code == 404, name
    assert client.get(reverse("capture-item-confirm", args=[item.pk])).status_code == 404
    for name in ("capture-source-sync", "capture-source-remove"):
        assert client.post(reverse(name, args=[source.pk])).status_code == 404, name
    assert "Dana&#x27;s review" not in client.get(reverse("capture-review")).content.decode()
    item.refresh_from_db()
    assert item.status == "pending" and not Interaction.objects.exists()


def test_a_meeting_on_an_account_that_changed_hands_cannot_be_confirmed(
    client, alice, bob, northwind
):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    item = _items(alice)["Dana's review"]
    northwind.owner = bob
    northwind.save()

    response = client.post(
        reverse("capture-item-confirm", args=[item.pk]), {"account": northwind.pk}
    )

    assert response.status_code == 302
    assert not Interaction.objects.exists()
    assert "Put it on one of your active accounts first." in _review(client)


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("notes.ics", b"Dear Alice,\nsee you Monday.\n", "This is not an iCalendar file"),
        ("broken.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:2026\x00\r\n", "damaged"),
        ("huge.ics", b"BEGIN:VCALENDAR\r\n" + b"X" * (10 * 1024 * 1024), "the limit is 10 MB"),
    ],
)
def test_a_bad_calendar_file_is_refused_next_to_the_field_and_nothing_is_saved(
    client, alice, northwind, name, data, says
):
    client.force_login(alice)

    response = _upload(client, data, name)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_calendar_error"' in html and says in html
    assert not CaptureSource.objects.exists() and not CapturedItem.objects.exists()


def test_messages_are_matched_by_their_correspondents(client, alice, northwind):
    client.force_login(alice)
    files = [
        SimpleUploadedFile(
            f"m{n}.eml",
            eml(
                sender="Dana Reyes <dana.reyes@northwind.example>",
                to=["alice@example.com"],
                day=days_ago(n + 1),
                subject=subject,
                message_id=f"m{n}@northwind.example",
                headers=headers,
            ),
        )
        for n, (subject, headers) in enumerate(
            [("Budget for next year", []), ("Family news", ["Sensitivity: Private"])]
        )
    ]

    client.post(reverse("capture-mail-upload"), {"messages": files})

    (item,) = CapturedItem.objects.all()
    assert item.subject == "Budget for next year" and item.kind == "message"
    assert item.account == northwind and item.from_client
    source = CaptureSource.objects.get()
    assert (source.found, source.matched, source.skipped_private) == (1, 1, 1)
    _confirm(client, item)
    interaction = Interaction.objects.get()
    assert interaction.kind == "email" and interaction.initiated_by_client


def test_a_file_that_is_not_mail_is_refused_next_to_the_field(client, alice):
    client.force_login(alice)

    response = client.post(
        reverse("capture-mail-upload"),
        {"messages": [SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")]},
    )

    assert response.status_code == 200
    assert 'id="id_messages_error"' in response.content.decode()
    assert not CapturedItem.objects.exists()


def test_more_messages_than_allowed_are_refused_in_words(client, alice, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    client.force_login(alice)
    files = [SimpleUploadedFile(f"m{n}.eml", b"x") for n in range(4)]

    response = client.post(reverse("capture-mail-upload"), {"messages": files})

    assert response.status_code == 200
    assert "export the folder as one .mbox file" in response.content.decode()


@pytest.mark.parametrize("meetings", [3, 30])
def test_the_review_list_costs_the_same_queries_whatever_its_length(
    client, alice, northwind, meetings
):
    client.force_login(alice)
    people = ["dana.reyes@northwind.example", "kim@northwind.example"]
    ContactFactory(account=northwind, name="Kim Ode", email="kim@northwind.example")
    _upload(
        client,
        ics(
            *(
                vevent(f"m{n}@x", days_ago(n % 60), summary=f"M{n}", attendees=people)
                for n in range(meetings)
            ),
            *(
                vevent(f"u{n}@x", days_ago(n % 60), summary=f"U{n}", attendees=["x@other.example"])
                for n in range(meetings)
            ),
        ),
    )

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("capture-review"))

    assert len(response.context["matched"]) == meetings
    # session, user; matched items, their people; unmatched items, their people; the
    # accounts to assign to; the user's roles (the header); the savepoint and its release
    assert len(queries) == 10, "\n".join(q["sql"][:120] for q in queries)


def test_the_home_page_says_how_many_meetings_wait(client, alice, northwind):
    client.force_login(alice)
    _upload(client, _week_of_meetings())

    html = client.get(reverse("home")).content.decode()

    assert "2 meetings to confirm" in html


def test_the_password_of_a_calendar_is_stored_encrypted(client, alice, settings):
    client.force_login(alice)

    client.post(
        reverse("capture-caldav"),
        {
            "url": "https://dav.example.com/alice/work/",
            "username": "alice",
            "password": "hunter2-app-password",
        },
    )

    source = CaptureSource.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password_encrypted FROM relationships_capturesource WHERE id = %s",
            [source.pk],
        )
        stored = cursor.fetchone()[0]
    assert "hunter2" not in stored and stored.startswith("gAAAA")  # a Fernet token
    from relationships.capture.credentials import password_decrypt

    assert password_decrypt(stored) == "hunter2-app-password"
    page = client.get(reverse("capture-sources")).content.decode()
    assert "hunter2" not in page and "dav.example.com/alice/work/" in page


def test_without_a_key_no_password_is_stored_and_the_page_says_why(client, alice, settings):
    settings.CAPTURE_CREDENTIALS_KEY = ""
    client.force_login(alice)

    response = client.post(
        reverse("capture-caldav"),
        {"url": "https://dav.example.com/cal/", "username": "a", "password": "secret"},
    )

    assert response.status_code == 200
    assert "needs CAPTURE_CREDENTIALS_KEY" in response.content.decode()
    assert not CaptureSource.objects.exists()


def _review(client) -> str:
    return client.get(reverse("capture-review")).content.decode()


def test_a_confirm_sent_from_a_page_showing_another_account_is_refused(client, alice, northwind):
    client.force_login(alice)
    both = ics(
        vevent(
            "two@x",
            days_ago(1),
            summary="Two sides",
            attendees=["x@northwind.example", "kim@other.example"],
        )
    )
    _upload(client, both)
    item = _items(alice)["Two sides"]
    assert item.account == northwind
    assert f'name="account" value="{northwind.pk}"' in _review(client)
    other = AccountFactory(name="Other Co", owner=alice)
    ContactFactory(account=other, name="Kim", email="kim@other.example")
    _upload(client, both)
    item.refresh_from_db()
    assert item.account == other

    # The tab still open on Northwind sends what it showed.
    response = client.post(
        reverse("capture-item-confirm", args=[item.pk]), {"account": northwind.pk}
    )

    assert response.status_code == 302
    assert not Interaction.objects.exists()
    item.refresh_from_db()
    assert item.status == "pending"
    assert "It was put on another account meanwhile" in _review(client)


def test_the_confirm_page_sends_the_account_it_shows(client, alice, northwind):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    item = _items(alice)["Dana's review"]

    page = client.get(reverse("capture-item-confirm", args=[item.pk])).content.decode()

    assert f'name="account" value="{northwind.pk}"' in page


@pytest.mark.parametrize("change", ["handed to bob", "lost", "archived"])
def test_meetings_on_an_account_no_longer_yours_wait_among_the_unmatched(
    client, alice, bob, northwind, change
):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    if change == "handed to bob":
        northwind.owner = bob
    else:
        northwind.status = change
        northwind.lost_on = days_ago(0) if change == "lost" else None
    northwind.save()

    page = _review(client)

    assert '<span data-testid="capture-count">0</span> to confirm' in page
    assert "Not matched to an account (4)" in page
    assert "meetings to confirm" not in client.get(reverse("home")).content.decode()
    # Put on an account of Alice's, it can be confirmed.
    mine = AccountFactory(name="Harbor Labs", owner=alice)
    item = _items(alice)["Dana's review"]
    client.post(reverse("capture-item-assign", args=[item.pk]), {"account": mine.pk})
    client.post(reverse("capture-item-confirm", args=[item.pk]), {"account": mine.pk})
    assert Interaction.objects.get().account == mine


def test_a_mail_upload_without_a_file_asks_for_one(client, alice):
    client.force_login(alice)

    response = client.post(reverse("capture-mail-upload"), {})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_messages_error"' in html and "Choose at least one file." in html
    assert not CaptureSource.objects.exists()


def test_the_same_message_twice_in_an_upload_is_kept_once(client, alice, northwind):
    client.force_login(alice)
    message = eml(
        sender="dana.reyes@northwind.example",
        to=["alice@example.com"],
        day=days_ago(1),
        subject="Budget",
        message_id="budget@northwind.example",
    )
    files = [SimpleUploadedFile("a.eml", message), SimpleUploadedFile("a (1).eml", message)]

    response = client.post(reverse("capture-mail-upload"), {"messages": files})

    assert response.status_code == 302
    assert list(CapturedItem.objects.values_list("subject", flat=True)) == ["Budget"]
    assert "Read 1 message from" in _review(client)


def test_a_reimport_counts_only_what_waits_to_be_confirmed(client, alice, northwind):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    items = _items(alice)
    client.post(
        reverse("capture-item-confirm", args=[items["Dana's review"].pk]), {"account": northwind.pk}
    )
    client.post(reverse("capture-item-discard", args=[items["Ops sync"].pk]))

    _upload(client, _week_of_meetings())

    assert "Read 4 meetings from calendar.ics: 0 matched to your accounts" in _review(client)


def test_an_event_without_a_start_is_skipped_and_the_upload_says_so(client, alice, northwind):
    client.force_login(alice)
    no_start = "\r\n".join(["BEGIN:VEVENT", "UID:nostart@x", "SUMMARY:Undated", "END:VEVENT"])

    response = _upload(
        client,
        ics(no_start, vevent("ok@x", days_ago(1), attendees=["dana.reyes@northwind.example"])),
    )

    assert response.status_code == 302
    assert CapturedItem.objects.count() == 1
    assert "1 unreadable skipped" in _review(client)


def test_a_calendar_flooding_the_list_is_cut_at_the_limit_and_says_so(client, alice, northwind):
    client.force_login(alice)
    flood = vevent(
        "flood@x",
        days_ago(90),
        attendees=["dana.reyes@northwind.example"],
        extra=["RRULE:FREQ=SECONDLY;INTERVAL=30"],
    )

    response = _upload(client, ics(flood))

    assert response.status_code == 302
    assert CapturedItem.objects.count() == MAX_OCCURRENCES_PER_EVENT
    assert "1 repeating event cut at its first 500 occurrences" in _review(client)


def test_a_confirmed_meetings_confirm_page_says_it_is_done(client, alice, northwind):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    item = _items(alice)["Dana's review"]
    client.post(reverse("capture-item-confirm", args=[item.pk]), {"account": northwind.pk})

    page = client.get(reverse("capture-item-confirm", args=[item.pk])).content.decode()

    assert "already confirmed" in page and 'type="submit">Confirm<' not in page


def test_a_confirm_in_place_tells_the_page_to_update_its_count(client, alice, northwind):
    client.force_login(alice)
    _upload(client, _week_of_meetings())
    item = _items(alice)["Dana's review"]

    response = client.post(
        reverse("capture-item-confirm", args=[item.pk]),
        {"account": northwind.pk},
        HTTP_HX_REQUEST="true",
    )

    assert "captureChanged" in json.loads(response["HX-Trigger"])
    heading = client.get(
        reverse("capture-review") + "?panel=matched-heading", HTTP_HX_REQUEST="true"
    )
    assert '<span data-testid="capture-count">1</span> to confirm' in heading.content.decode()
    assert "<html" not in heading.content.decode()
