"""Benchmark: capturing a calendar of 2,000 meetings matched against 5,000 accounts.

Usage (PostgreSQL, seeded with the large demo portfolio; the script adds a superuser, so
every account can be matched, and a calendar on a Radicale server it starts on loopback):

    createdb -h 127.0.0.1 -U postgres capture_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/capture_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --accounts 5000
    .venv/bin/python bench/capture.py

The calendar: 1,800 single meetings and 16 weekly series of 13 weeks (2,008 meetings in the
last 90 days), with people of random accounts (by their address, or only their domain),
colleagues, strangers, a few private and cancelled ones. Timed: the .ics upload (reading,
expanding, matching, writing), the same file again (nothing new), the first CalDAV sync of
the same meetings (a full read over HTTP) and a sync with a sync token after one change.
"""

import datetime
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from caldav.davclient import DAVClient  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Account, AccountDomain  # noqa: E402
from bench.common import free_port  # noqa: E402
from relationships.capture.caldav_sync import source_sync  # noqa: E402
from relationships.capture.models import CapturedItem, CaptureSource  # noqa: E402
from relationships.capture.services import caldav_source_connect, capture_calendar_upload  # noqa: E402
from relationships.models import Contact  # noqa: E402

SINGLE, SERIES, WEEKS = 1800, 16, 13


def _event(uid: str, day: datetime.date, attendees: list[str], extra: list[str]) -> str:
    stamp = f"{day:%Y%m%d}T100000Z"
    return "\r\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", f"DTSTART:{stamp}",
         f"DTEND:{day:%Y%m%d}T110000Z", f"SUMMARY:Meeting {uid}",
         "ORGANIZER:mailto:bench@ourfirm.example",
         *(f"ATTENDEE:mailto:{a}" for a in attendees), *extra, "END:VEVENT"]
    )  # fmt: skip


def _wrap(events: list[str]) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN", *events,
                        "END:VCALENDAR"]) + "\r\n"  # fmt: skip


def _calendar(today: datetime.date) -> list[str]:
    """One VCALENDAR per calendar object (as a CalDAV server holds them)."""
    rng = random.Random(7)
    emails = list(Contact.objects.exclude(email="").values_list("email", flat=True))
    domains = list(AccountDomain.objects.values_list("domain", flat=True))

    def people() -> list[str]:
        roll = rng.random()
        if roll < 0.6:
            return [*rng.sample(emails, 2), "colleague@ourfirm.example"]
        if roll < 0.85:
            return [f"someone@{rng.choice(domains)}"]
        return [f"stranger{rng.randrange(10_000)}@elsewhere.example"]

    objects = []
    for n in range(SINGLE):
        day = today - datetime.timedelta(days=rng.randrange(90))
        extra = ["CLASS:PRIVATE"] if n % 97 == 0 else ["STATUS:CANCELLED"] if n % 89 == 0 else []
        objects.append(_wrap([_event(f"single-{n}@bench", day, people(), extra)]))
    for n in range(SERIES):
        start = today - datetime.timedelta(weeks=WEEKS - 1, days=n % 7)
        rule = [f"RRULE:FREQ=WEEKLY;COUNT={WEEKS}"]
        objects.append(_wrap([_event(f"series-{n}@bench", start, people(), rule)]))
    return objects


def _timed(label: str, run) -> float:
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.2f} s ({result})")
    return elapsed


def _radicale(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    (folder / "users").write_text("bench:bench-password\n")
    (folder / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\n"
        f"htpasswd_filename = {folder / 'users'}\nhtpasswd_encryption = plain\ndelay = 0\n"
        f"[storage]\nfilesystem_folder = {folder / 'collections'}\n[logging]\nlevel = warning\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(folder / "config")]
    )
    time.sleep(2)
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    settings.CAPTURE_CREDENTIALS_KEY = Fernet.generate_key().decode()
    assert Account.objects.count() >= 5000, "seed the 5,000-account demo first"
    bench, _ = User.objects.get_or_create(
        username="capture-bench",
        defaults={"email": "bench@ourfirm.example", "is_superuser": True},
    )
    CapturedItem.objects.filter(owner=bench).delete()
    CaptureSource.objects.filter(owner=bench).delete()
    today = timezone.localdate()
    objects = _calendar(today)
    whole = _wrap([line for obj in objects for line in obj.split("\r\n")[3:-2]]).encode()
    print(f"{len(objects)} calendar objects, {len(whole) / 1024:.0f} kB as one .ics; "
          f"{Account.objects.count()} accounts")  # fmt: skip

    def upload() -> str:
        source = capture_calendar_upload(owner=bench, name="bench.ics", data=whole)
        return f"{source.found} meetings, {source.matched} matched"

    _timed(".ics upload, first time", upload)
    _timed(".ics upload, same file again", upload)
    CapturedItem.objects.filter(owner=bench).delete()

    with tempfile.TemporaryDirectory() as folder:
        server, base = _radicale(Path(folder))
        try:
            client = DAVClient(url=f"{base}/bench/", username="bench", password="bench-password")
            calendar = client.principal().make_calendar(name="work", cal_id="work")
            started = time.perf_counter()
            for obj in objects:
                calendar.save_event(obj)
            print(f"(filling Radicale: {time.perf_counter() - started:.1f} s)")
            source = caldav_source_connect(
                owner=bench, url=str(calendar.url), username="bench", password="bench-password"
            )

            def sync() -> str:
                synced = source_sync(source_id=source.pk)
                return f"{synced.found} meetings, {synced.matched} matched {synced.last_error}"

            _timed("CalDAV first sync (full read)", sync)
            calendar.save_event(objects[0].replace("Meeting single-0", "Moved"))
            _timed("CalDAV sync with a token, one change", sync)
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
