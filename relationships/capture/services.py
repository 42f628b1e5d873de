"""Writes of capture: files and syncs kept as review items, and what the manager does with
each item (confirm, discard, assign to an account).

An import is all or nothing: a file that cannot be read is refused before anything is
written, and the items, their matches and the source's state are written in one transaction.
Confirming goes through `relationships.services.interaction_log`, the one way evidence is
logged; scoring/use_cases.py wraps it to rescore the account.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account
from relationships import services
from relationships.capture.credentials import password_encrypt
from relationships.capture.matching import Matcher
from relationships.capture.models import (
    CapturedItem,
    CaptureSource,
    ItemKind,
    ItemStatus,
    SourceKind,
)
from relationships.capture.parsing import Found, Parsed, Window, parse_calendar, parse_mail
from relationships.models import Interaction, InteractionKind, SignalType

UPDATED_FIELDS = [
    "source_id",
    "href",
    "occurred_on",
    "starts_at",
    "subject",
    "addresses",
    "from_client",
    "account_id",
    "updated_at",
]


class CaptureUnavailable(Exception):
    """The item cannot be confirmed, discarded or assigned now; the message says why."""


def _lock_owner(owner: User) -> None:
    # One import of a manager's at a time: two at once would both create the same new items.
    User.objects.select_for_update().filter(pk=owner.pk).exists()


# Ids and keys go to the database this many at a time: SQLite allows only so many variables
# in one query, and a large calendar holds thousands.
CHUNK = 2000


def _chunks(values: Sequence) -> Iterator[list]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])


@dataclass(frozen=True)
class Stale:
    """What a file or sync speaks for: its pending items inside the window that it no longer
    holds leave the review list. The items `where` selects, and among them, given a `field`
    ("uid" or "href"), those whose field is one of `values`."""

    where: Q
    field: str = ""
    values: frozenset[str] = frozenset()


def _delete(pks: Sequence[int]) -> int:
    return sum(
        CapturedItem.objects.filter(pk__in=chunk).delete()[1].get(CapturedItem._meta.label, 0)
        for chunk in _chunks(pks)
    )


def _remove_gone(*, owner: User, parsed: Parsed, stale: Stale | None, window: Window) -> int:
    """Take pending items off the review list: the ones the calendar says are cancelled or
    private, and, within `stale`, those inside the window that it no longer holds. Confirmed
    and discarded items stay."""
    pending = CapturedItem.objects.filter(owner=owner, status=ItemStatus.PENDING)
    removed = 0
    gone = sorted(parsed.gone - {found.key for found in parsed.found})
    for start in range(0, len(gone), 500):
        keys = Q()
        for uid, recurrence in gone[start : start + 500]:
            keys |= Q(uid=uid, recurrence_id=recurrence)
        removed += pending.filter(keys).delete()[1].get(CapturedItem._meta.label, 0)
    if stale is None:
        return removed
    kept = {found.key for found in parsed.found}
    candidates = pending.filter(stale.where, occurred_on__range=(window.start, window.end))
    selections = (
        [
            candidates.filter(**{f"{stale.field}__in": chunk})
            for chunk in _chunks(sorted(stale.values))
        ]
        if stale.field
        else [candidates]
    )
    doomed = [
        pk
        for selection in selections
        for pk, uid, recurrence in selection.values_list("pk", "uid", "recurrence_id")
        if (uid, recurrence) not in kept
    ]
    return removed + _delete(doomed)


def _state(item: CapturedItem) -> tuple:
    return tuple(getattr(item, name) for name in UPDATED_FIELDS if name != "updated_at")


def _fill(item: CapturedItem, found: Found, source: CaptureSource, matcher: Matcher) -> bool:
    """Bring the item up to what was found; whether anything changed."""
    before = _state(item) if item.pk else None
    if item.pk is None or source.kind == SourceKind.CALDAV:
        # A synced calendar speaks for its items (a deletion there removes them); an upload
        # leaves a known item with the upload that brought it first.
        item.source_id = source.pk
    item.href = found.href
    item.occurred_on = found.occurred_on
    item.starts_at = found.starts_at
    item.subject = found.subject
    item.addresses = matcher.theirs(found.addresses)
    item.from_client = bool(found.organizer) and bool(matcher.theirs([found.organizer]))
    if not item.assigned:
        item.account_id = matcher.match(found.addresses).account_id
    return _state(item) != before


def _existing(owner: User, parsed: Parsed) -> dict[tuple[str, str], CapturedItem]:
    uids = sorted({found.uid for found in parsed.found})
    existing: dict[tuple[str, str], CapturedItem] = {}
    for start in range(0, len(uids), 2000):
        for item in CapturedItem.objects.filter(owner=owner, uid__in=uids[start : start + 2000]):
            existing[(item.uid, item.recurrence_id)] = item
    return existing


def _participants_set(
    items: Sequence[CapturedItem], matcher: Matcher, *, had_people: Sequence[CapturedItem]
) -> None:
    """Each item's people: the contacts its addresses name at its account (`had_people`:
    those that may have some already)."""
    through = CapturedItem.participants.through
    for chunk in _chunks([item.pk for item in had_people]):
        through.objects.filter(captureditem_id__in=chunk).delete()
    rows = [
        through(captureditem_id=item.pk, contact_id=contact_id)
        for item in items
        if item.account_id is not None
        for contact_id in matcher.match(item.addresses, account_id=item.account_id).contact_ids
    ]
    through.objects.bulk_create(rows, batch_size=1000)


def _kept(
    owner: User, source: CaptureSource, parsed: Parsed, matcher: Matcher
) -> tuple[list[CapturedItem], list[CapturedItem], int]:
    """The items to create and those to bring up to date (confirmed and discarded ones left
    alone), and how many of what was found waits matched to an account."""
    existing = _existing(owner, parsed)
    new: dict[tuple[str, str], CapturedItem] = {}
    changed: dict[tuple[str, str], CapturedItem] = {}
    for found in parsed.found:
        item = existing.get(found.key) or new.get(found.key)
        if item is None:
            item = CapturedItem(
                owner=owner, kind=found.kind, uid=found.uid, recurrence_id=found.recurrence_id
            )
            new[found.key] = item
        elif item.status != ItemStatus.PENDING:
            continue
        if _fill(item, found, source, matcher) and item.pk:
            changed[found.key] = item
    waiting = {
        key
        for key in {found.key for found in parsed.found}
        if (item := existing.get(key) or new[key]).status == ItemStatus.PENDING
        and item.account_id is not None
    }
    return list(new.values()), list(changed.values()), len(waiting)


def _record_outcome(
    source: CaptureSource, parsed: Parsed, *, matched: int, window: Window
) -> CaptureSource:
    now = timezone.now()
    if source.kind == SourceKind.CALDAV:
        # A sync reads only what changed: the state is what the calendar holds in the window.
        held = CapturedItem.objects.filter(
            source=source, occurred_on__range=(window.start, window.end)
        )
        source.found = held.count()
        source.matched = held.filter(account__isnull=False).count()
    else:
        source.found = len(parsed.found)
        source.matched = matched
    source.skipped_private = parsed.skipped_private
    source.skipped_unreadable = parsed.unreadable
    source.capped_series = parsed.capped_series
    source.left_out = parsed.left_out
    source.last_attempt_at = source.last_success_at = now
    source.last_error = ""
    source.save()
    return source


@transaction.atomic
def capture_store(
    *, owner: User, source: CaptureSource, parsed: Parsed, stale: Stale | None, window: Window
) -> CaptureSource:
    """Keep what a file or sync found as review items (new ones created, pending ones brought
    up to date, confirmed and discarded ones left alone), matched to accounts, and record the
    source's state. When records were left out (MAX_FOUND), what the file or sync holds is
    not all known, so nothing is removed as no longer held."""
    _lock_owner(owner)
    _remove_gone(
        owner=owner, parsed=parsed, stale=None if parsed.left_out else stale, window=window
    )
    matcher = Matcher(owner=owner, addresses={a for found in parsed.found for a in found.addresses})
    new, changed, matched = _kept(owner, source, parsed, matcher)
    now = timezone.now()
    for item in changed:
        item.updated_at = now
    CapturedItem.objects.bulk_create(new, batch_size=500)
    CapturedItem.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=500)
    _participants_set([*new, *changed], matcher, had_people=changed)
    return _record_outcome(source, parsed, matched=matched, window=window)


def capture_calendar_upload(
    *, owner: User, name: str, data: bytes, today: datetime.date | None = None
) -> CaptureSource:
    """An uploaded .ics export: read whole first (CaptureFileError says what is wrong, and
    nothing is written), then kept. It speaks for every event it names, so a pending
    occurrence of one of them that it no longer holds is removed."""
    window = Window.around(today or timezone.localdate())
    parsed = parse_calendar(data, window=window)
    with transaction.atomic():
        source = CaptureSource.objects.create(
            owner=owner, kind=SourceKind.CALENDAR_FILE, name=name[:300]
        )
        return capture_store(
            owner=owner,
            source=source,
            parsed=parsed,
            stale=Stale(where=Q(), field="uid", values=frozenset(parsed.uids)),
            window=window,
        )


def capture_mail_upload(
    *, owner: User, files: Sequence[tuple[str, bytes]], today: datetime.date | None = None
) -> CaptureSource:
    """Uploaded .eml files or an .mbox, all read before anything is written."""
    window = Window.around(today or timezone.localdate())
    parsed = parse_mail(files, window=window)
    names = ", ".join(name for name, _ in files)
    if len(files) > 3:
        names = f"{files[0][0]} and {len(files) - 1} more files"
    with transaction.atomic():
        source = CaptureSource.objects.create(
            owner=owner, kind=SourceKind.MAIL_FILES, name=names[:300]
        )
        return capture_store(owner=owner, source=source, parsed=parsed, stale=None, window=window)


def caldav_source_connect(*, owner: User, url: str, username: str, password: str) -> CaptureSource:
    """A CalDAV calendar to sync in the background; its password stored encrypted
    (CredentialsUnavailable when the server has no key to encrypt with)."""
    return CaptureSource.objects.create(
        owner=owner,
        kind=SourceKind.CALDAV,
        name=url[:300],
        url=url,
        username=username,
        password_encrypted=password_encrypt(password),
    )


def caldav_source_change(
    *, source: CaptureSource, url: str, username: str, password: str
) -> CaptureSource:
    """A connected calendar's address, user name or password entered again (after a refused
    password, or a new key on the server), keeping its items. The next sync reads the whole
    calendar: another address has other sync tokens."""
    source.url = url
    source.name = url[:300]
    source.username = username
    source.password_encrypted = password_encrypt(password)
    source.sync_token = ""
    source.full_sync_at = None
    source.last_error = ""
    source.save()
    return source


@transaction.atomic
def capture_source_remove(*, source: CaptureSource) -> None:
    """Forget a source and its items still waiting; confirmed ones are interactions now."""
    source.items.filter(status=ItemStatus.PENDING).delete()
    source.delete()


def _locked_pending(item: CapturedItem) -> CapturedItem:
    locked = CapturedItem.objects.select_for_update().filter(pk=item.pk).first()
    if locked is None or locked.status != ItemStatus.PENDING:
        raise CaptureUnavailable("This item was already confirmed or discarded.")
    return locked


@transaction.atomic
def captured_item_confirm(
    *,
    item: CapturedItem,
    actor: User,
    seen_account_id: int,
    signal_types: Sequence[SignalType] = (),
    today: datetime.date | None = None,
) -> Interaction:
    """Log the item as an interaction on its account (a meeting or an email, on its day, with
    the matched people, its subject as the note, and the signals the manager adds).
    `seen_account_id` is the account the manager's page showed: an import may have moved the
    item since, and then nothing is logged."""
    locked = _locked_pending(item)
    if locked.account_id is None:
        raise CaptureUnavailable("Assign it to an account first.")
    if locked.account_id != seen_account_id:
        raise CaptureUnavailable("It was put on another account meanwhile: reload the page.")
    if locked.occurred_on > (today or timezone.localdate()):
        raise CaptureUnavailable("It has not happened yet: confirm it on the day.")
    account = Account.objects.get(pk=locked.account_id)
    kind = InteractionKind.EMAIL if locked.kind == ItemKind.MESSAGE else InteractionKind.MEETING
    interaction = services.interaction_log(
        account=account,
        actor=actor,
        data=services.InteractionInput(
            occurred_on=locked.occurred_on,
            kind=kind,
            initiated_by_client=locked.from_client,
            notes=locked.subject,
            participants=list(locked.participants.filter(account_id=account.pk)),
            signal_types=list(signal_types),
        ),
    )
    locked.status = ItemStatus.CONFIRMED
    locked.interaction = interaction
    locked.save(update_fields=["status", "interaction", "updated_at"])
    return interaction


@transaction.atomic
def captured_item_discard(*, item: CapturedItem) -> CapturedItem:
    """Not evidence: kept as discarded, so a re-import does not bring it back."""
    locked = _locked_pending(item)
    locked.status = ItemStatus.DISCARDED
    locked.save(update_fields=["status", "updated_at"])
    return locked


@transaction.atomic
def captured_item_assign(*, item: CapturedItem, actor: User, account: Account) -> CapturedItem:
    """Put an item on an account the manager chose (the caller checked they may write to
    it); its people there are found by their addresses. Later imports keep the choice."""
    locked = _locked_pending(item)
    matcher = Matcher(owner=actor, addresses=locked.addresses)
    locked.account = account
    locked.assigned = True
    locked.save(update_fields=["account", "assigned", "updated_at"])
    locked.participants.set(matcher.match(locked.addresses, account_id=account.pk).contact_ids)
    return locked
