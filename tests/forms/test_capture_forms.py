"""The capture pages' forms (account manager): uploading a calendar or mail, connecting a
CalDAV calendar, putting a found meeting on an account, and confirming one with signals."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accounts.models import Account, AccountDomain, AccountStatus, LostReason
from relationships.capture.credentials import password_decrypt
from relationships.capture.forms import AssignForm
from relationships.capture.models import CapturedItem, CaptureSource, ItemStatus, SourceKind
from relationships.models import Interaction, SignalType, TrustSignal
from reminders.worker import capture_source_sync
from tests.capture.conftest import days_ago, eml, ics, vevent
from tests.conftest import work_the_queue
from tests.factories import AccountFactory, ContactFactory
from tests.forms.strategies import FUZZ, TEXT, classic_cases, fuzz, with_refs
from tests.forms.support import (
    EVIDENCE,
    HTMX,
    as_posted,
    assert_answered,
    assert_explained,
    payload,
    rolled_back,
    rows,
    sent,
)

CAPTURE_ROWS = (CaptureSource, CapturedItem, Interaction, TrustSignal)


@pytest.fixture(autouse=True)
def _credentials_key(settings):
    settings.CAPTURE_CREDENTIALS_KEY = Fernet.generate_key().decode()
    settings.OWN_EMAIL_DOMAINS = []


@pytest.fixture
def northwind(alices_account):
    """Alice's client, known by its email domain and by Dana's address."""
    AccountDomain.objects.create(account=alices_account, domain="northwind.example")
    ContactFactory(account=alices_account, name="Dana Reyes", email="dana@northwind.example")
    return alices_account


# Files as calendar and mail programs write them, and what becomes of them on the way -------

REAL_ICS = ics(
    vevent("a@x", days_ago(1), summary="Dana's review", attendees=["dana@northwind.example"]),
    vevent(
        "b@x",
        days_ago(9),
        summary="Weekly ops",
        attendees=["ops@northwind.example"],
        extra=["RRULE:FREQ=WEEKLY;COUNT=3"],
    ),
    vevent("c@x", days_ago(2), summary="Private", extra=["CLASS:PRIVATE"]),
)
REAL_EML = eml(
    sender="dana@northwind.example",
    to=["alice@example.com"],
    day=days_ago(3),
    subject="Renewal terms",
    message_id="renewal@northwind.example",
)
REAL_MBOX = b"".join(
    b"From dana@northwind.example Mon Jan  5 09:30:00 2026\n" + message + b"\n"
    for message in (REAL_EML, REAL_EML.replace(b"renewal@", b"renewal-2@"))
)
# Text the database cannot store (PostgreSQL refuses NUL characters), inside a file that is
# otherwise readable.
NUL_ICS = REAL_ICS.replace(b"SUMMARY:Dana's review", b"SUMMARY:Dana\x00s review").replace(
    b"UID:b@x", b"UID:b\x00@x"
)
NUL_EML = REAL_EML.replace(b"Subject: Renewal terms", b"Subject: =?utf-8?q?Renewal=00terms?=")


def _damaged(real: bytes) -> st.SearchStrategy[bytes]:
    """The file cut off anywhere, or with a stretch of it garbled."""
    cut = st.integers(0, len(real)).map(lambda n: real[:n])
    garbled = st.tuples(st.integers(0, len(real)), st.binary(min_size=1, max_size=40)).map(
        lambda at: real[: at[0]] + at[1] + real[at[0] + len(at[1]) :]
    )
    return st.one_of(cut, garbled)


def _file_content(real: bytes, *others: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from([real, *others]),
        _damaged(real),
        _damaged(real),
        st.binary(max_size=300),
        TEXT.map(str.encode),
        st.sampled_from(
            [
                b"",
                b"\x00" * 100,
                b"\xef\xbb\xbf",
                real.decode().encode("utf-16"),
                real * 50,
                real[: len(real) // 2] * 200,
            ]
        ),
    )


FILE_NAMES = st.sampled_from(
    [
        "calendar.ics",
        "Export.ICS",
        "calendar.txt",
        "message.eml",
        "inbox.mbox",
        "no extension",
        "x" * 400 + ".ics",
        "<b>bold</b>.ics",
        "עברית 😀.eml",
        "../../etc/passwd",
        "cal\x00endar.ics",
    ]
)


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _assert_refused_whole(response, form_name: str, before: dict[str, int]) -> None:
    assert_explained(response, response.context[form_name])
    assert rows(*CAPTURE_ROWS) == before


def _assert_read(response, kind: str, before: dict[str, int], alice) -> None:
    """One source more, with what it found; items are Alice's, pending, not evidence yet."""
    assert response.status_code == 302
    assert response["Location"] == reverse("capture-review")
    after = rows(*CAPTURE_ROWS)
    assert after["CaptureSource"] == before["CaptureSource"] + 1
    assert after["Interaction"] == before["Interaction"]
    source = CaptureSource.objects.latest("pk")
    assert source.kind == kind and source.owner == alice
    assert source.last_success_at is not None and not source.last_error
    new_items = after["CapturedItem"] - before["CapturedItem"]
    assert 0 <= new_items <= source.found
    assert source.matched <= source.found
    for item in CapturedItem.objects.filter(owner=alice):
        assert item.status == ItemStatus.PENDING
        assert item.account_id in (None, source.owner.owned_accounts.get().pk)
        assert "\x00" not in item.uid + item.subject + "".join(item.addresses)


@settings(FUZZ, max_examples=40)
@example(name="calendar.ics", content=REAL_ICS)
@example(name="calendar.ics", content=NUL_ICS)
@example(name="calendar.ics", content=b"")
@example(name="calendar.ics", content=REAL_ICS[:-30])
@example(name="message.eml", content=REAL_EML)
@example(name="calendar.ics", content=b"\x00" * 100)
@example(name="calendar.ics", content=REAL_ICS.replace(b"20", b"99"))
@example(name="calendar.ics", content=REAL_ICS.replace(b"DTSTART:", b"X-START:", 1))
@given(name=FILE_NAMES, content=_file_content(REAL_ICS, NUL_ICS, REAL_EML))
def test_any_uploaded_calendar_is_read_whole_or_refused_with_the_reason(
    client, alice, northwind, name, content
):
    """A calendar file is read and its meetings wait for review; anything else (empty,
    damaged, cut off, not a calendar at all) is refused by the file field, and nothing of
    it is kept."""
    with rolled_back():
        client.force_login(alice)
        before = rows(*CAPTURE_ROWS)

        response = client.post(
            reverse("capture-calendar-upload"), {"calendar": _upload(name, content)}
        )

        assert_answered(response)
        if content in (REAL_ICS, NUL_ICS):
            assert response.status_code == 302, "a calendar that can be read was refused"
        if response.status_code == 302:
            _assert_read(response, SourceKind.CALENDAR_FILE, before, alice)
        else:
            _assert_refused_whole(response, "calendar_form", before)


def _mail_files() -> st.SearchStrategy[list[tuple[str, bytes]]]:
    one = st.tuples(FILE_NAMES, _file_content(REAL_EML, REAL_MBOX, NUL_EML, REAL_ICS))
    return st.lists(one, min_size=0, max_size=3)


READABLE_MAIL = [
    [("message.eml", REAL_EML)],
    [("inbox.mbox", REAL_MBOX)],
    [("message.eml", REAL_EML), ("other.eml", REAL_EML.replace(b"renewal@", b"other@"))],
    [("message.eml", NUL_EML)],
    [("message.eml", REAL_EML.replace(b"Renewal terms", b"Renewal \xff\xfe terms"))],
    [("message.eml", REAL_EML.replace(b"dana@", b"d\x80na@"))],
]
UNREADABLE_MAIL = [
    [("message.eml", REAL_EML), ("broken.eml", REAL_EML[:20])],
    [("message.eml", b"")],
    [("calendar.ics", REAL_ICS)],
    [],
    [(f"m{n}.eml", REAL_EML.replace(b"renewal@", f"m{n}@".encode())) for n in range(101)],
]


@settings(FUZZ, max_examples=40)
@given(files=_mail_files())
def test_any_uploaded_mail_is_read_whole_or_refused_with_the_reason(
    client, alice, northwind, files
):
    """Messages and mailboxes are read together; if one file of them cannot be read (or
    there are too many), the field says which and why, and none of them is kept."""
    for case in READABLE_MAIL:
        assert _check_mail_upload(client, alice, case), case[0][0]
    for case in UNREADABLE_MAIL:
        assert not _check_mail_upload(client, alice, case), case[0][0] if case else "no file"
    _check_mail_upload(client, alice, files)


def _check_mail_upload(client, alice, files: list[tuple[str, bytes]]) -> bool:
    """Whether the upload was read (each outcome checked)."""
    with rolled_back():
        client.force_login(alice)
        before = rows(*CAPTURE_ROWS)

        response = client.post(
            reverse("capture-mail-upload"),
            {"messages": [_upload(name, content) for name, content in files]},
        )

        assert_answered(response)
        if response.status_code == 302:
            _assert_read(response, SourceKind.MAIL_FILES, before, alice)
            return True
        _assert_refused_whole(response, "mail_form", before)
        return False


def _nowhere() -> str:
    """A CalDAV address on loopback where nothing listens: nothing here may reach the
    network, and a sync that did run would fail there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/alice/work/"


def _syncs_queued() -> list[Any]:
    return list(
        DBTaskResult.objects.filter(task_path=capture_source_sync.module_path).values_list(
            "args_kwargs", flat=True
        )
    )


@FUZZ
@classic_cases("url", "username", "password")
@example(changes={"url": "ftp://127.0.0.1/alice/"})
@example(changes={"url": "127.0.0.1:1/alice/"})
@example(changes={"password": " spaces kept "})
@given(changes=fuzz("url", "username", "password"))
def test_connecting_a_calendar_with_any_input_queues_its_sync_or_explains(client, alice, changes):
    """A calendar is stored with its password encrypted and its first sync queued for the
    worker (the page does not wait for the server); or the form is back with every message,
    the password not echoed, nothing stored and nothing queued."""
    valid = {"url": _nowhere(), "username": "alice", "password": "app-password-1234"}
    data = payload(valid, changes)
    with rolled_back():
        client.force_login(alice)
        before = rows(CaptureSource, DBTaskResult)

        response = client.post(reverse("capture-caldav"), data)

        assert_answered(response)
        if response.status_code == 302:
            assert response["Location"] == reverse("capture-sources")
            source = CaptureSource.objects.get(owner=alice, kind=SourceKind.CALDAV)
            assert source.url.startswith(("http://", "https://"))
            assert source.username == sent(data, "username").strip()
            # Stored as a Fernet token that reads back as the password typed, spaces and all.
            assert password_decrypt(source.password_encrypted) == sent(data, "password")
            assert source.queued_at is not None
            assert source.last_attempt_at is None  # not tried yet: the worker does it
            assert _syncs_queued() == [{"args": [source.pk], "kwargs": {}}]
            assert rows(CaptureSource, DBTaskResult) == {
                "CaptureSource": before["CaptureSource"] + 1,
                "DBTaskResult": before["DBTaskResult"] + 1,
            }
        else:
            assert_explained(response, response.context["caldav_form"])
            password_box = re.search(r'<input type="password"[^>]*>', response.content.decode())
            assert password_box and "value=" not in password_box.group()
            assert rows(CaptureSource, DBTaskResult) == before


def test_a_connected_calendar_nobody_answers_for_says_so_in_words_after_its_sync(client, alice):
    """The queued sync, run by the worker, fails at an address where nothing listens, and
    the sources page says so next to the calendar."""
    client.force_login(alice)
    client.post(
        reverse("capture-caldav"),
        {"url": _nowhere(), "username": "alice", "password": "app-password-1234"},
    )

    work_the_queue()

    source = CaptureSource.objects.get(owner=alice)
    assert source.last_error and source.last_success_at is None
    page = client.get(reverse("capture-sources")).content.decode()
    assert escape(source.last_error) in page


def _item(alice, *, account=None, days: int = 2, subject: str = "Ops sync") -> CapturedItem:
    return CapturedItem.objects.create(
        owner=alice,
        kind="event",
        uid=f"{subject}@calendar",
        occurred_on=days_ago(days),
        subject=subject,
        addresses=["dana@northwind.example"],
        account=account,
    )


def _resolved(changes: dict[str, Any], refs: dict[str, Any]) -> dict[str, Any]:
    """`changes` with each named reference replaced by its id, in lists too."""
    return {
        name: [refs.get(v, v) for v in value] if isinstance(value, list) else value
        for name, value in changes.items()
    }


@FUZZ
@classic_cases("account", htmx=False)
@given(changes=fuzz("account", values=with_refs("mine", "lost", "bobs")), htmx=st.booleans())
def test_putting_an_item_on_any_account_puts_it_on_ones_own_or_says_why_not(
    client, alice, northwind, bobs_account, changes, htmx
):
    """An unmatched meeting goes onto one of Alice's active accounts only; anything else (a
    lost account, Bob's, no choice, junk) is refused with the reason in the item's row, and
    the item stays unmatched."""
    with rolled_back():
        lost = AccountFactory(
            name="Old Harbor",
            owner=alice,
            status=AccountStatus.LOST,
            lost_on=days_ago(30),
            lost_reason=LostReason.PRICE,
        )
        item = _item(alice)
        refs = {"mine": northwind.pk, "lost": lost.pk, "bobs": bobs_account.pk}
        data = payload({"account": northwind.pk}, _resolved(changes, refs), refs)
        client.force_login(alice)
        before = rows(*EVIDENCE, CapturedItem)

        response = client.post(
            reverse("capture-item-assign", args=[item.pk]),
            data,
            follow=not htmx,
            **(HTMX if htmx else {}),
        )

        assert_answered(response)
        assert response.status_code == 200
        html = response.content.decode()
        current = CapturedItem.objects.get(pk=item.pk)
        assert rows(*EVIDENCE, CapturedItem) == before  # nothing is logged yet either way
        if current.account_id is not None:
            assert current.account_id == northwind.pk and current.assigned
            assert "Put on Northwind Freight: confirm it among the matched ones." in html
        else:
            assert not current.assigned and current.status == ItemStatus.PENDING
            assert 'class="error"' in html
            form = AssignForm(as_posted(data), accounts=Account.objects.filter(pk=northwind.pk))
            assert not form.is_valid()
            assert escape(form.errors["account"][0]) in html


@FUZZ
@classic_cases("signals", htmx=False)
@given(changes=fuzz("signals", values=with_refs("planning", "miss", "retired")), htmx=st.booleans())
def test_confirming_an_item_with_any_signals_logs_it_once_or_explains(
    client, alice, northwind, changes, htmx
):
    """A meeting is logged on its day with exactly the signals ticked, and leaves the review
    list; a signal that is retired or not one at all is refused next to the chips, and
    nothing is logged."""
    with rolled_back():
        planning, miss, retired = (
            SignalType.objects.get(slug=slug)
            for slug in ("invited_to_planning", "delivery_miss", "strategy_advice_requested")
        )
        SignalType.objects.filter(pk=retired.pk).update(is_active=False)
        refs = {"planning": planning.pk, "miss": miss.pk, "retired": retired.pk}
        # The form posts back the account it showed (a moved item is refused, tested in
        # tests/capture); here only the signals vary.
        data = payload(
            {"signals": [planning.pk], "account": northwind.pk}, _resolved(changes, refs), refs
        )
        item = _item(northwind.owner, account=northwind)
        client.force_login(alice)
        before = rows(*EVIDENCE)

        response = client.post(
            reverse("capture-item-confirm", args=[item.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        current = CapturedItem.objects.get(pk=item.pk)
        after = rows(*EVIDENCE)
        if current.status == ItemStatus.CONFIRMED:
            assert response.status_code == (200 if htmx else 302)
            logged = current.interaction
            assert (logged.account, logged.occurred_on) == (northwind, item.occurred_on)
            posted = data.get("signals", [])
            posted = posted if isinstance(posted, list) else [posted]
            ticked = {int(str(value).strip()) for value in posted if str(value).strip()}
            assert set(logged.signals.values_list("signal_type_id", flat=True)) == ticked
            assert after["Interaction"] == before["Interaction"] + 1
            assert after["TrustSignal"] == before["TrustSignal"] + len(ticked)
        else:
            assert current.status == ItemStatus.PENDING
            assert_explained(response, response.context["form"])
            assert after == before
