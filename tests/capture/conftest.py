"""Calendars and mailboxes as a manager's tools write them, a real CalDAV server (Radicale,
from PyPI) on loopback, and Alice's and Bob's clients with people and email domains.

Alice (alice@example.com, so example.com is our own domain) manages Northwind Freight
(northwind.example, with Dana Reyes); Bob manages Bluepeak Foods (bluepeak.example, with
Pat Lee).
"""

from __future__ import annotations

import datetime
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from caldav.davclient import DAVClient
from cryptography.fernet import Fernet
from django.utils import timezone

from accounts.models import AccountDomain
from tests.factories import ContactFactory

RADICALE_PASSWORD = "radicale-app-password"


@pytest.fixture(autouse=True)
def _credentials_key(settings):
    settings.CAPTURE_CREDENTIALS_KEY = Fernet.generate_key().decode()
    settings.OWN_EMAIL_DOMAINS = []


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def _stamp(day: datetime.date, hour: int = 10) -> str:
    return f"{day:%Y%m%d}T{hour:02d}0000Z"


def vevent(
    uid: str,
    day: datetime.date,
    *,
    summary: str = "Meeting",
    attendees: Iterable[str] = (),
    organizer: str = "alice@example.com",
    extra: Iterable[str] = (),
    hour: int = 10,
) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_stamp(day)}",
        f"DTSTART:{_stamp(day, hour)}",
        f"DTEND:{_stamp(day, hour + 1)}",
        f"SUMMARY:{summary}",
        f"ORGANIZER:mailto:{organizer}",
        *(f"ATTENDEE;CN={a.split('@')[0].title()}:mailto:{a}" for a in attendees),
        *extra,
        "END:VEVENT",
    ]
    return "\r\n".join(lines)


def ics(*events: str) -> bytes:
    body = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tests//Capture//EN", *events, "END:VCALENDAR"]
    )
    return (body + "\r\n").encode()


def eml(
    *,
    sender: str,
    to: Iterable[str],
    day: datetime.date,
    subject: str,
    message_id: str,
    cc: Iterable[str] = (),
    headers: Iterable[str] = (),
) -> bytes:
    lines = [
        f"From: {sender}",
        f"To: {', '.join(to)}",
        *([f"Cc: {', '.join(cc)}"] if cc else []),
        f"Date: {day:%a, %d %b %Y} 09:30:00 +0000",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        *headers,
        "",
        "Hello,",
        "",
    ]
    return "\r\n".join(lines).encode()


@pytest.fixture
def northwind(alices_account):
    AccountDomain.objects.create(account=alices_account, domain="northwind.example")
    alices_account.dana = ContactFactory(
        account=alices_account, name="Dana Reyes", email="Dana.Reyes@northwind.example"
    )
    return alices_account


@pytest.fixture
def bluepeak(bobs_account):
    AccountDomain.objects.create(account=bobs_account, domain="bluepeak.example")
    bobs_account.pat = ContactFactory(
        account=bobs_account, name="Pat Lee", email="pat@bluepeak.example"
    )
    return bobs_account


# A real CalDAV server ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CalDAVServer:
    base_url: str
    username: str
    password: str

    def new_calendar(self, name: str):
        """An empty calendar of Alice's on the server, and its address."""
        client = DAVClient(
            url=f"{self.base_url}/{self.username}/", username=self.username, password=self.password
        )
        return client.principal().make_calendar(name=name, cal_id=name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Radicale did not start: {log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail("Radicale did not answer within 20 s")


@pytest.fixture(scope="session")
def radicale(tmp_path_factory) -> Iterator[CalDAVServer]:
    """Radicale on a free loopback port, with a temporary storage folder and one user
    (alice, by an htpasswd file), for the whole session."""
    folder = tmp_path_factory.mktemp("radicale")
    users = folder / "users"
    users.write_text(f"alice:{RADICALE_PASSWORD}\n")
    port = _free_port()
    config = folder / "config"
    config.write_text(
        "\n".join(
            [
                "[server]",
                f"hosts = 127.0.0.1:{port}",
                "[auth]",
                "type = htpasswd",
                f"htpasswd_filename = {users}",
                "htpasswd_encryption = plain",
                "delay = 0",
                "[storage]",
                f"filesystem_folder = {folder / 'collections'}",
                "[rights]",
                "type = owner_only",
                "[logging]",
                "level = warning",
            ]
        )
    )
    log = folder / "radicale.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(port, process, log)
        yield CalDAVServer(f"http://127.0.0.1:{port}", "alice", RADICALE_PASSWORD)
    finally:
        process.terminate()
        process.wait(timeout=10)
