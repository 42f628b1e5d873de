"""Syncing a CalDAV calendar against a real server: Radicale, started on loopback by the
`radicale` fixture, with sync tokens."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from relationships.capture.caldav_sync import source_sync
from relationships.capture.credentials import password_encrypt
from relationships.capture.models import CapturedItem, CaptureSource
from relationships.capture.services import caldav_source_connect
from reminders.worker import capture_syncs_queue
from tests.capture.conftest import days_ago, ics, vevent
from tests.conftest import work_the_queue

DANA = ["dana.reyes@northwind.example"]


def _connect(alice, calendar, password: str) -> CaptureSource:
    return caldav_source_connect(
        owner=alice, url=str(calendar.url), username="alice", password=password
    )


def test_a_wrong_password_is_said_in_words(client, alice, radicale):
    calendar = radicale.new_calendar("wrong-password")
    source = _connect(alice, calendar, "not-the-password")

    source = source_sync(source_id=source.pk)

    refused = "The server refused the user name or password: change them with Change."
    assert source.last_error == refused
    assert source.last_success_at is None and source.last_attempt_at is not None
    client.force_login(alice)
    page = client.get(reverse("capture-sources")).content.decode()
    assert refused in page


def test_an_unreachable_server_is_said_in_words(alice, radicale):
    source = caldav_source_connect(
        owner=alice, url="http://127.0.0.1:9/alice/work/", username="alice", password="x"
    )

    source = source_sync(source_id=source.pk)

    assert source.last_error.startswith("Could not reach 127.0.0.1:9")


def test_a_calendar_that_is_not_there_is_said_in_words(alice, radicale):
    source = caldav_source_connect(
        owner=alice,
        url=f"{radicale.base_url}/alice/no-such-calendar/",
        username="alice",
        password=radicale.password,
    )

    source = source_sync(source_id=source.pk)

    assert "has no calendar at this address" in source.last_error


def test_syncs_with_tokens_pick_up_added_and_deleted_meetings_without_duplicates(
    alice, northwind, radicale
):
    calendar = radicale.new_calendar("work")
    kept = calendar.save_event(
        ics(vevent("kept@x", days_ago(3), summary="Kept", attendees=DANA)).decode()
    )
    dropped = calendar.save_event(
        ics(vevent("dropped@x", days_ago(2), summary="Dropped", attendees=DANA)).decode()
    )
    source = _connect(alice, calendar, radicale.password)

    first = source_sync(source_id=source.pk)
    assert (first.found, first.matched, first.last_error) == (2, 2, "")
    token = first.sync_token
    assert token and not token.startswith("fake-")

    kept_item = CapturedItem.objects.get(uid="kept@x")

    dropped.delete()
    calendar.save_event(
        ics(vevent("added@x", days_ago(1), summary="Added", attendees=DANA)).decode()
    )
    second = source_sync(source_id=source.pk, now=timezone.now() + datetime.timedelta(minutes=5))

    assert second.sync_token != token
    assert sorted(CapturedItem.objects.values_list("subject", flat=True)) == ["Added", "Kept"]
    assert (second.found, second.matched) == (2, 2)
    # Only what changed was read: the meeting nobody touched was not written again.
    assert CapturedItem.objects.get(uid="kept@x").updated_at == kept_item.updated_at

    # Deleted and saved again (a new calendar object): still one meeting.
    kept.delete()
    calendar.save_event(ics(vevent("kept@x", days_ago(3), summary="Kept", attendees=DANA)).decode())
    third = source_sync(source_id=source.pk, now=timezone.now() + datetime.timedelta(minutes=10))
    assert third.last_error == ""
    assert sorted(CapturedItem.objects.values_list("subject", flat=True)) == ["Added", "Kept"]


def test_a_daily_full_sync_finds_nothing_new_and_keeps_what_was_confirmed(
    client, alice, northwind, radicale
):
    calendar = radicale.new_calendar("daily")
    calendar.save_event(ics(vevent("one@x", days_ago(1), summary="One", attendees=DANA)).decode())
    source = _connect(alice, calendar, radicale.password)
    source_sync(source_id=source.pk)
    client.force_login(alice)
    item = CapturedItem.objects.get()
    client.post(reverse("capture-item-confirm", args=[item.pk]), {"account": item.account_id})

    later = source_sync(source_id=source.pk, now=timezone.now() + datetime.timedelta(days=2))

    assert later.found == 1 and CapturedItem.objects.get().status == "confirmed"


def test_the_worker_syncs_each_due_calendar_once_and_sync_now_queues_one(
    client, alice, northwind, radicale
):
    calendar = radicale.new_calendar("worker")
    calendar.save_event(ics(vevent("w@x", days_ago(1), summary="Weekly", attendees=DANA)).decode())
    source = _connect(alice, calendar, radicale.password)

    assert capture_syncs_queue() == 1
    assert capture_syncs_queue() == 0  # queued already: another worker leaves it
    work_the_queue()
    source.refresh_from_db()
    assert source.last_success_at is not None and source.queued_at is None
    assert CapturedItem.objects.get().subject == "Weekly"
    assert capture_syncs_queue() == 0  # synced a moment ago

    client.force_login(alice)
    response = client.post(reverse("capture-source-sync", args=[source.pk]))
    assert response.status_code == 302
    work_the_queue()
    assert CapturedItem.objects.count() == 1
    page = client.get(reverse("capture-sources")).content.decode()
    assert "1 found, 1 matched" in page


def test_an_unchanged_calendar_read_without_sync_tokens_keeps_its_meetings(
    alice, northwind, radicale
):
    calendar = radicale.new_calendar("expired-token")
    calendar.save_event(ics(vevent("one@x", days_ago(1), summary="One", attendees=DANA)).decode())
    source = _connect(alice, calendar, radicale.password)
    assert source_sync(source_id=source.pk).found == 1
    # The server forgot the token (or never had one): caldav reads everything instead.
    CaptureSource.objects.filter(pk=source.pk).update(sync_token="http://radicale.org/ns/sync/0")
    soon = timezone.now() + datetime.timedelta(minutes=5)
    fallback = source_sync(source_id=source.pk, now=soon)
    assert fallback.sync_token.startswith("fake-") and fallback.found == 1

    unchanged = source_sync(source_id=source.pk, now=soon + datetime.timedelta(minutes=5))

    assert (unchanged.found, unchanged.matched, unchanged.last_error) == (1, 1, "")
    assert CapturedItem.objects.filter(status="pending").count() == 1
    # A deletion is still seen: the next full read no longer holds the meeting.
    calendar.event_by_uid("one@x").delete()
    emptied = source_sync(source_id=source.pk, now=soon + datetime.timedelta(minutes=10))
    assert emptied.found == 0 and not CapturedItem.objects.exists()


def test_a_server_that_is_not_a_calendar_is_said_in_words(alice, httpserver):
    httpserver.expect_request(re.compile(".*")).respond_with_data(
        "<html><body>Welcome to our intranet</body></html>", content_type="text/html"
    )
    source = caldav_source_connect(
        owner=alice, url=httpserver.url_for("/calendar/"), username="alice", password="x"
    )

    source = source_sync(source_id=source.pk)

    assert source.last_error == (
        f"{httpserver.host}:{httpserver.port} answered, but is not a CalDAV calendar: "
        "check the address."
    )


def test_a_refused_password_can_be_entered_again_keeping_the_meetings(
    client, alice, northwind, radicale
):
    calendar = radicale.new_calendar("password-changed")
    calendar.save_event(ics(vevent("one@x", days_ago(1), summary="One", attendees=DANA)).decode())
    source = _connect(alice, calendar, radicale.password)
    source_sync(source_id=source.pk)
    CaptureSource.objects.filter(pk=source.pk).update(
        password_encrypted=password_encrypt("an-old-password")
    )
    source = source_sync(source_id=source.pk, now=timezone.now() + datetime.timedelta(minutes=5))
    assert "change them" in source.last_error
    client.force_login(alice)
    sources = client.get(reverse("capture-sources")).content.decode()
    change = reverse("capture-source-change", args=[source.pk])
    assert f'href="{change}"' in sources

    form = client.get(change).content.decode()
    assert str(calendar.url) in form and "an-old-password" not in form
    response = client.post(
        change, {"url": str(calendar.url), "username": "alice", "password": radicale.password}
    )

    assert response.status_code == 302
    work_the_queue()
    source.refresh_from_db()
    assert source.last_error == "" and source.found == 1
    assert CapturedItem.objects.get().subject == "One"


def test_another_managers_calendar_cannot_be_changed(client, alice, bob, radicale):
    source = caldav_source_connect(
        owner=alice, url=f"{radicale.base_url}/alice/x/", username="alice", password="x"
    )
    client.force_login(bob)

    change = reverse("capture-source-change", args=[source.pk])
    assert client.get(change).status_code == 404
    response = client.post(
        change, {"url": "https://evil.example/", "username": "b", "password": "y"}
    )
    assert response.status_code == 404
    source.refresh_from_db()
    assert source.url.startswith(radicale.base_url)


@pytest.fixture(autouse=True)
def _quiet_caldav_warnings(caplog):
    caplog.set_level("ERROR", logger="caldav")
