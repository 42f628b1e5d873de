"""A CalDAV calendar brought up to date with sync tokens (RFC 6578, sync-collection REPORT).

The first sync, and one a day after it, reads the whole calendar (so that recurring meetings
move into the window as the days pass, and anything missed is put right); the others ask the
server only for what changed since the last token: changed calendar objects are read again and
deleted ones take their pending items with them. A server without sync tokens (or one that
forgot ours) gets a full read whenever its calendar changed: the `caldav` package falls back by
itself, with a token starting "fake-" that stays the same, and nothing read, while nothing
changes.

Every outcome is written on the source: when it last worked, what it found, and the error in
words, so the sources page shows a sync that runs but brings nothing.
"""

from __future__ import annotations

import datetime
import logging
from urllib.parse import unquote, urlsplit

from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from django.db.models import Q
from django.utils import timezone

from relationships.capture.credentials import CredentialsUnavailable, password_decrypt
from relationships.capture.models import CaptureSource, SourceKind
from relationships.capture.parsing import CaptureFileError, Parsed, Window, parse_calendar
from relationships.capture.services import Stale, capture_store

logger = logging.getLogger(__name__)

FULL_SYNC_EVERY = datetime.timedelta(days=1)
TIMEOUT_SECONDS = 20
MULTIGET_BATCH = 200


class SyncFailed(Exception):
    """A sync that did not complete; the message is for the manager."""


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _in_words(failure: Exception, url: str) -> str:
    """What went wrong, as the sources page says it."""
    if isinstance(failure, CredentialsUnavailable | SyncFailed | CaptureFileError):
        return str(failure)
    if isinstance(failure, dav_error.AuthorizationError):
        return "The server refused the user name or password: change them with Change."
    if isinstance(failure, dav_error.NotFoundError):
        return f"{_host(url)} has no calendar at this address: check it."
    if isinstance(failure, dav_error.DAVError):
        return f"The calendar server at {_host(url)} answered with an error ({str(failure)[:200]})."
    if isinstance(failure, OSError):
        # niquests or requests (their errors are OSErrors): refused connections, unknown
        # hosts, timeouts, TLS failures.
        return f"Could not reach {_host(url)} ({type(failure).__name__}): check the address."
    # Anything else came from reading the answer: a web page, not a calendar (caldav fails
    # on it in its own ways, a TypeError among them).
    return f"{_host(url)} answered, but is not a CalDAV calendar: check the address."


def _href(url: object) -> str:
    """A calendar object's path as one string, however the server escaped it (a sync report
    may write "a%40x.ics" and a multiget "a@x.ics")."""
    return unquote(urlsplit(str(url)).path)


def _read(source: CaptureSource, *, full: bool, window: Window) -> tuple[Parsed, set[str], str]:
    """What the server holds (everything, or what changed since the token): the parsed
    events, the hrefs it reports deleted, and the new token."""
    client = DAVClient(
        url=source.url,
        username=source.username,
        password=password_decrypt(source.password_encrypted),
        timeout=TIMEOUT_SECONDS,
    )
    calendar = client.calendar(url=source.url)
    changes = calendar.get_objects_by_sync_token(
        sync_token=None if full else source.sync_token, load_objects=False
    )
    deleted = {_href(url) for url in changes.deleted_urls}
    wanted = [obj.url for obj in changes if _href(obj.url) not in deleted]
    parsed = Parsed()
    # The changed objects' data in a few calendar-multiget REPORTs, not one GET each.
    for start in range(0, len(wanted), MULTIGET_BATCH):
        batch = wanted[start : start + MULTIGET_BATCH]
        fetched = {_href(obj.url): obj for obj in calendar.multiget(batch)}
        for href in map(_href, batch):
            found = fetched.get(href)
            if found is None or not found.data:  # deleted meanwhile
                deleted.add(href)
                continue
            try:
                parsed.extend(parse_calendar(found.data.encode(), window=window, href=href))
            except CaptureFileError:  # one damaged object: the rest of the calendar still syncs
                parsed.unreadable += 1
    parsed.cap()
    return parsed, deleted, str(changes.sync_token or "")


def source_sync(
    *, source_id: int, full: bool = False, now: datetime.datetime | None = None
) -> CaptureSource:
    """Sync one CalDAV source and record how it went (never raises for the server's faults:
    they are the source's state)."""
    now = now or timezone.now()
    source = CaptureSource.objects.select_related("owner").get(pk=source_id, kind=SourceKind.CALDAV)
    full = (
        full
        or not source.sync_token
        or source.full_sync_at is None
        or now - source.full_sync_at > FULL_SYNC_EVERY
    )
    window = Window.around(timezone.localdate(now))
    try:
        parsed, deleted, token = _read(source, full=full, window=window)
    except Exception as failure:
        logger.info("Sync of capture source %s failed: %r", source.pk, failure)
        message = _in_words(failure, source.url)
        CaptureSource.objects.filter(pk=source.pk).update(
            last_attempt_at=now, last_error=message, queued_at=None
        )
        source.refresh_from_db()
        return source
    if token.startswith("fake-") and not full:
        # caldav read the whole calendar itself (the server has no sync tokens, or forgot
        # ours), unless nothing changed: then it gives nothing back, with the same token.
        full = token != source.sync_token
    stale = (
        Stale(where=Q(source=source))
        if full
        else Stale(where=Q(source=source), field="href", values=frozenset(parsed.hrefs | deleted))
    )
    source.sync_token = token
    source.queued_at = None
    if full:
        source.full_sync_at = now
    return capture_store(
        owner=source.owner, source=source, parsed=parsed, stale=stale, window=window
    )


def sources_due(*, now: datetime.datetime | None = None, every_minutes: int) -> list[int]:
    """CalDAV sources whose last attempt is older than `every_minutes` and which no worker
    has queued meanwhile, claimed for this worker (a conditional update, so of several
    workers only one queues each)."""
    now = now or timezone.now()
    due_before = now - datetime.timedelta(minutes=every_minutes)
    candidates = CaptureSource.objects.filter(
        Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=due_before),
        Q(queued_at__isnull=True) | Q(queued_at__lt=due_before),
        kind=SourceKind.CALDAV,
    ).values_list("pk", flat=True)
    claimed = []
    for pk in candidates:
        taken = (
            CaptureSource.objects.filter(pk=pk)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=due_before))
            .update(queued_at=now)
        )
        if taken:
            claimed.append(pk)
    return claimed
