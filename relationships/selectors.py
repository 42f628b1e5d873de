"""Reads for the account page: score history, the timeline of evidence, the audit trail, the
client's view.

Each read is a fixed number of queries, whatever the length of the account's history.
Callers pass an account they already got through `accounts.access.account_for_user`.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import CharField, Count, F, Prefetch, QuerySet, Value
from django.utils import timezone

from accounts.models import Account
from relationships.models import (
    Assessment,
    AuditAction,
    AuditEntry,
    Contact,
    ExternalPressure,
    Interaction,
    SignalType,
    TrustSignal,
)

TIMELINE_PAGE_SIZE = 20
# A page number from the URL beyond this is past the end of every timeline; the offset it
# would ask of the database does not even fit in a 64-bit integer.
MAX_TIMELINE_PAGE = 10**9
# How long a deleted entry can be brought back from the audit trail.
UNDO_WINDOW = datetime.timedelta(minutes=15)
# The log form puts the signals logged most in this window first; the count is kept this long.
SIGNAL_USAGE_WINDOW = datetime.timedelta(days=365)
SIGNAL_USAGE_CACHE_SECONDS = 3600


@dataclass
class TimelineEntry:
    """One line of the timeline: an interaction (with the signals seen in it) or a signal
    logged on its own."""

    day: datetime.date
    interaction: Interaction | None = None
    signal: TrustSignal | None = None


@dataclass
class TimelinePage:
    entries: list[TimelineEntry] = field(default_factory=list)
    next_page: int | None = None


def timeline_page(*, account: Account, page: int = 1) -> TimelinePage:
    """Interactions and stand-alone signals, newest first, TIMELINE_PAGE_SIZE at a time.

    Five queries per page: the merged index of the page, then the rows behind it.
    """
    page = max(page, 1)
    if page > MAX_TIMELINE_PAGE:
        return TimelinePage()  # far past any account's history (and any database's offset)
    kind: CharField[str, str] = CharField()
    interactions = (
        Interaction.objects.filter(account=account)
        .order_by()
        .annotate(day=F("occurred_on"), entry=Value("interaction", output_field=kind))
        .values_list("day", "id", "entry")
    )
    signals = (
        TrustSignal.objects.filter(account=account, interaction__isnull=True)
        .order_by()
        .annotate(day=F("observed_on"), entry=Value("signal", output_field=kind))
        .values_list("day", "id", "entry")
    )
    start = (page - 1) * TIMELINE_PAGE_SIZE
    index = list(
        interactions.union(signals, all=True).order_by("-day", "-id")[
            start : start + TIMELINE_PAGE_SIZE + 1
        ]
    )
    has_more = len(index) > TIMELINE_PAGE_SIZE
    index = index[:TIMELINE_PAGE_SIZE]

    interaction_ids = [pk for _, pk, entry in index if entry == "interaction"]
    signal_ids = [pk for _, pk, entry in index if entry == "signal"]
    by_interaction = Interaction.objects.select_related("logged_by").prefetch_related(
        Prefetch(
            "signals",
            queryset=TrustSignal.objects.select_related("signal_type").order_by(
                "signal_type__polarity", "signal_type__name"
            ),
        ),
        Prefetch("participants", queryset=Contact.objects.order_by("name")),
    )
    interaction_of = by_interaction.in_bulk(interaction_ids)
    signal_of = (
        TrustSignal.objects.select_related("signal_type", "logged_by").in_bulk(signal_ids)
        if signal_ids
        else {}
    )
    entries = [
        TimelineEntry(day, interaction=interaction_of[pk])
        if entry == "interaction"
        else TimelineEntry(day, signal=signal_of[pk])
        for day, pk, entry in index
        if pk in (interaction_of if entry == "interaction" else signal_of)
    ]
    return TimelinePage(entries, page + 1 if has_more else None)


def audit_trail(*, account: Account, limit: int = 10) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(account=account)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


def undoable(entry: AuditEntry, *, user, now: datetime.datetime | None = None) -> bool:
    """Whether `user` can still bring back what `entry` deleted, or undo the edit of the
    account record, or the addition or edit of a contact, it records."""
    now = now or timezone.now()
    return (
        (
            entry.action == AuditAction.DELETED
            or (entry.action == AuditAction.EDITED and entry.subject in ("account", "contact"))
            or (entry.action == AuditAction.CREATED and entry.subject == "contact")
        )
        and entry.restorable is not None
        and entry.actor_id == user.pk
        and now - entry.at <= UNDO_WINDOW
    )


def assessment_latest(*, account: Account) -> Assessment | None:
    return account.assessments.order_by("-assessed_on").first()


def signal_type_usage(*, today: datetime.date | None = None) -> dict[int, int]:
    """How many times each signal type (by id) was logged across the portfolio in the year up
    to `today`; types never logged are absent.

    One aggregate over the signals of a year (a few hundred thousand rows on a large sales
    floor), so the answer is kept for an hour: it only orders the log form's chips.
    """
    today = today or timezone.localdate()
    key = f"signal-type-usage:{today.isoformat()}"
    usage = cache.get(key)
    if usage is None:
        rows = (
            TrustSignal.objects.filter(observed_on__gt=today - SIGNAL_USAGE_WINDOW)
            .order_by()
            .values_list("signal_type")
            .annotate(times=Count("id"))
        )
        usage = dict(rows)
        cache.set(key, usage, SIGNAL_USAGE_CACHE_SECONDS)
    return usage


def signal_types_for_form(*, keep: QuerySet | None = None) -> list[SignalType]:
    """Active signal types (and the retired ones an entry already carries: `keep`, a query of
    signal type ids), grouped by category, the most used category first and, within it, the
    most used type first (`signal_type_usage`), so the log form opens on what is logged most."""
    offered = SignalType.objects.filter(is_active=True)
    if keep is not None:
        offered = offered | SignalType.objects.filter(pk__in=keep)
    types = list(offered.order_by("category", "-polarity", "name"))
    usage = signal_type_usage()
    by_category: Counter[str] = Counter()
    for signal_type in types:
        by_category[signal_type.category] += usage.get(signal_type.pk, 0)
    # Python's sort is stable: ties keep the catalog's order (category, builds trust first, name).
    return sorted(
        types,
        key=lambda t: (-by_category[t.category], t.category, -usage.get(t.pk, 0)),
    )


def pressures_by_account(accounts: Iterable[Account] | None = None) -> dict[int, list[str]]:
    """Each account's external pressures, in the order they were written (None: every
    account's); an account without any is absent."""
    pressures = ExternalPressure.objects.order_by("pk")
    if accounts is not None:
        pressures = pressures.filter(account__in=list(accounts))
    found: dict[int, list[str]] = {}
    for account_id, text in pressures.values_list("account_id", "description"):
        found.setdefault(account_id, []).append(text)
    return found
