"""The what-if preview: the portfolio today under the live profile and under a draft.

Computed on every active account while a scoring admin edits, so it reads the evidence straight
into the batch engine's columns (scoring/engine/batch.py) instead of one Evidence per account.
"""

from __future__ import annotations

import datetime
import json
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import partial
from typing import Any, NamedTuple, TypeVar

import numpy as np
from django.db import connection, connections, transaction
from django.db.models import Count, Func, IntegerField, Max, QuerySet, Sum
from django.utils import timezone

from accounts.models import Account, AccountStatus
from relationships.models import Assessment, Interaction, SignalType, TrustSignal
from scoring.engine import Profile, Stage
from scoring.engine.batch import Batch, Columns, build, narrow, standings
from scoring.models import ScoreSnapshot
from scoring.what_if import WhatIf

T = TypeVar("T")


class DayNumber(Func):
    """A date as its proleptic Gregorian ordinal (date.toordinal()), computed by the database:
    reading a million dates as plain integers is several times faster than as dates."""

    output_field = IntegerField()
    template = "(%(expressions)s - DATE '0001-01-01' + 1)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # julianday('0001-01-01') is 1721425.5, and that day's ordinal is 1.
        template = "CAST(julianday(%(expressions)s) - 1721424.5 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def driver_columns(queryset) -> list[list]:
    """The columns of a values_list queryset, each a list of the database driver's own values
    (a million rows skip the ORM's per-value conversions), read where the queryset reads."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        width = len(cursor.description)
    return [[row[index] for row in rows] for index in range(width)]


def _in_thread(function: Callable[[], T]) -> T:
    try:
        return function()
    finally:
        connections.close_all()  # this thread's own connection


def _at_once(*functions: Callable[[], T]) -> list[T]:
    """Each function's result. On PostgreSQL, outside a transaction, they run at once, each
    on its own connection: the server works on one read while Python converts the rows of
    another. (Each then sees the data as of its own start: an edit landing in between can
    show in one table and not yet in another, until the next preview reads again.)"""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return [function() for function in functions]
    with ThreadPoolExecutor(len(functions)) as pool:
        return list(pool.map(_in_thread, functions))


# Rows fetched at a time while reading the evidence: rows are Python objects until they
# become arrays, so the preview's peak memory is its arrays plus this many rows of each of
# the four reads, whatever the size of the book.
ROWS_PER_FETCH = 100_000


def active_portfolio(*, as_of: datetime.date, contact_window_days: int) -> Batch:
    """Every active account's evidence up to `as_of`, ready for `standings`.

    Who took part in an interaction only matters within the contact window, so participants
    are read for that window alone (give the widest window of the profiles compared).
    """
    accounts = Account.objects.filter(status=AccountStatus.ACTIVE).order_by()
    account_ids = list(accounts.values_list("pk", flat=True))
    since = as_of - datetime.timedelta(days=contact_window_days)
    return build(_batch_columns(account_ids, _signal_types(), since), as_of=as_of)


class _SignalTypes(NamedTuple):
    """The signal types as the batch engine numbers them: slugs and categories in sorted
    tuples, and arrays indexed by a type's id giving its slug's and its category's place in
    them and whether it builds trust (one array lookup turns a column of type ids into each)."""

    slugs: tuple[str, ...]
    categories: tuple[str, ...]
    slug_of: np.ndarray
    category_of: np.ndarray
    positive_of: np.ndarray


def _signal_types() -> _SignalTypes:
    """Every signal type, numbered for the batch engine (one query; a catalog is small)."""
    types = list(SignalType.objects.values_list("pk", "slug", "category", "polarity"))
    slugs = tuple(sorted({slug for _, slug, _, _ in types}))
    categories = tuple(sorted({category for _, _, category, _ in types}))
    size = max((pk for pk, *_ in types), default=0) + 1
    slug_of, category_of = np.zeros(size, np.int64), np.zeros(size, np.int64)
    positive_of = np.zeros(size, bool)
    for pk, slug, category, polarity in types:
        slug_of[pk] = slugs.index(slug)
        category_of[pk] = categories.index(category)
        positive_of[pk] = polarity > 0
    return _SignalTypes(slugs, categories, narrow(slug_of), narrow(category_of), positive_of)


class _Numbering:
    """Numbers for text values as a read meets them (a column of numbers is much smaller
    than one of strings), renumbered in sorted order once every read is done."""

    def __init__(self) -> None:
        self.number: dict[str, int] = {}

    def __call__(self, values: Sequence) -> np.ndarray:
        number = self.number
        return _ints([number.setdefault(v, len(number)) for v in values])

    def sorted(self, numbers: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
        """The values in sorted order, and `numbers` renumbered as places in them."""
        names = tuple(sorted(self.number))
        place = np.zeros(len(names), np.int64)
        for index, name in enumerate(names):
            place[self.number[name]] = index
        return names, narrow(place[numbers])


def _ints(values: Sequence) -> np.ndarray:
    """Whole numbers in as few bits as they need (`narrow`): ids and days take 32."""
    return narrow(np.array(values, dtype=np.int64))


def _flags(values: Sequence) -> np.ndarray:
    return np.array(values, dtype=bool)


def _read_streamed(queryset: QuerySet, converters: tuple) -> list[np.ndarray]:
    """The columns of `queryset` as arrays (each column through its converter): one query,
    its rows fetched ROWS_PER_FETCH at a time and each batch turned into arrays before the
    next. On PostgreSQL the rows wait on the server meanwhile, in a cursor of the read's own
    transaction: not held past it, so a transaction-mode pool (PgBouncer) carries it too,
    keeping one server connection for the read's length. SQLite steps through its rows as
    they are fetched, with no transaction (one would take its write lock)."""
    connection = connections[queryset.db]
    sql, params = queryset.query.sql_with_params()
    parts: list[list[np.ndarray]] = [[] for _ in converters]
    on_server = connection.vendor == "postgresql"
    # The cursor is made once the transaction has begun (a with statement enters its items
    # in turn): a server-side cursor made outside one is held past its end (WITH HOLD),
    # which a transaction-mode pool cannot keep.
    with (
        transaction.atomic(using=queryset.db) if on_server else nullcontext(),
        connection.chunked_cursor() if on_server else connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(ROWS_PER_FETCH):
            columns = zip(*rows, strict=True)
            for part, convert, column in zip(parts, converters, columns, strict=True):
                part.append(convert(column))
            del rows, columns
    return [
        np.concatenate(part) if part else convert(())
        for part, convert in zip(parts, converters, strict=True)
    ]


def _reads(since: datetime.date, kinds: _Numbering) -> list[tuple[QuerySet, tuple]]:
    """The four reads of evidence, each with a converter per column: every signal,
    interaction and assessment (the assessments of an account in the order they were made),
    and the participants of interactions after `since`."""
    rank = {stage.value: stage.rank for stage in Stage}

    def perceived(values: Sequence) -> np.ndarray:
        return _ints([rank.get(value or "", 0) for value in values])

    return [
        (
            TrustSignal.objects.order_by().values_list(
                "account_id", DayNumber("observed_on"), "signal_type_id"
            ),
            (_ints, _ints, _ints),
        ),
        (
            Interaction.objects.order_by().values_list(
                "account_id", DayNumber("occurred_on"), "kind", "initiated_by_client"
            ),
            (_ints, _ints, kinds, _flags),
        ),
        (
            Interaction.objects.order_by()
            .filter(occurred_on__gt=since, participants__isnull=False)
            .values_list("account_id", DayNumber("occurred_on"), "participants"),
            (_ints, _ints, _ints),
        ),
        (
            Assessment.objects.order_by("account_id", "assessed_on", "pk").values_list(
                "account_id", DayNumber("assessed_on"), "relevance", "client_perceived_stage"
            ),
            (_ints, _ints, _ints, perceived),
        ),
    ]


def _batch_columns(account_ids: list[int], types: _SignalTypes, since: datetime.date) -> Columns:
    """The batch engine's arrays of the evidence (days as numbers; kinds, slugs, categories
    and perceived stages as numbers; rows of accounts outside `account_ids` are left for
    `build` to ignore): the four `_reads` at once where they can be, each streamed."""
    kinds = _Numbering()
    signals, interactions, participants, assessments = _at_once(
        *(
            partial(_read_streamed, queryset, converters)
            for queryset, converters in _reads(since, kinds)
        )
    )
    s_account, s_day, s_type = signals
    i_account, i_day, i_kind, i_client = interactions
    kind_names, i_kind = kinds.sorted(i_kind)
    c_account, c_day, c_id = participants
    a_account, a_day, a_relevance, a_perceived = assessments
    return Columns(
        account_ids=_ints(account_ids),
        lost_on=np.zeros(len(account_ids), np.int64),
        slugs=types.slugs,
        categories=types.categories,
        kinds=kind_names,
        signal_account=s_account,
        signal_day=s_day,
        signal_slug=types.slug_of[s_type],
        signal_category=types.category_of[s_type],
        signal_positive=types.positive_of[s_type],
        interaction_account=i_account,
        interaction_day=i_day,
        interaction_kind=i_kind,
        interaction_by_client=i_client,
        contact_account=c_account,
        contact_day=c_day,
        contact_id=c_id,
        assessment_account=a_account,
        assessment_day=a_day,
        assessment_relevance=a_relevance,
        assessment_perceived=a_perceived,
    )


def evidence_fingerprint() -> tuple:
    """Changes whenever the evidence of an active account does, in three small reads whatever
    the portfolio's size. Every change of evidence rescores its account as it commits
    (scoring/receivers.py; an import recomputes its accounts), which replaces its standing by
    a row with a new id, or removes it when nothing is left to score: the count and the sum
    of the ids of the live version's standings move with every change, whatever order the
    writes commit in. The active accounts (by count and sum of ids) and the signal catalog
    are read too. Counting the evidence itself costs a second at 50,000 accounts."""
    standings = ScoreSnapshot.objects.filter(is_latest=True, profile__is_active=True)
    return (
        _count_and_sum(Account.objects.filter(status=AccountStatus.ACTIVE)),
        _count_and_sum(standings),
        tuple(SignalType.objects.order_by().aggregate(Count("pk"), Max("pk")).values()),
    )


def _count_and_sum(rows: QuerySet) -> tuple[Any, ...]:
    return tuple(rows.order_by().aggregate(Count("pk"), Sum("pk")).values())


class _Cache:
    """The last portfolio read, and the standings computed on it by profile, kept while the
    evidence does not change: an admin's edits then cost only the draft's standings."""

    def __init__(self):
        self.lock = threading.Lock()
        # Held while the book is read: one read at a time in a process.
        self.reading = threading.Lock()
        self.key: tuple | None = None
        self.batch: Batch | None = None
        self.standings: dict[str, dict] = {}

    def clear(self) -> None:
        with self.lock:
            self.key, self.batch, self.standings = None, None, {}

    def batch_for(
        self, key_now: Callable[[], tuple], read: Callable[[], Batch]
    ) -> tuple[tuple, Batch]:
        """The key of the evidence as it stands (`key_now()`) and the portfolio read under
        it: the one kept, or `read()` now. Requests that miss it while another reads
        (threads of one web process) wait for that read and take it if it is still theirs
        (the key is taken again once the wait is over: the evidence may have moved on),
        rather than read the book again beside it; the read kept is let go before the next,
        so no two reads are kept at once."""
        key = key_now()
        with self.lock:
            if self.key == key and self.batch is not None:
                return key, self.batch
        with self.reading:
            key = key_now()
            with self.lock:
                if self.key == key and self.batch is not None:
                    return key, self.batch
            self.clear()
            batch = read()
            with self.lock:
                self.key, self.batch, self.standings = key, batch, {}
            return key, batch


cache = _Cache()


def _standings(key: tuple, batch: Batch, profile: Profile) -> dict:
    params = json.dumps(profile.params, sort_keys=True)
    with cache.lock:
        if cache.key == key and params in cache.standings:
            return cache.standings[params]
    result = standings(batch, profile, drivers=False)
    with cache.lock:
        if cache.key == key:
            cache.standings = {params: result, **dict(list(cache.standings.items())[-3:])}
    return result


def what_if(*, live: Profile, draft: Profile, as_of: datetime.date | None = None) -> dict[str, Any]:
    """Stage counts, accounts that would change stage and why, and revenue at risk, for every
    active account today under `live` and under `draft` (WhatIf.as_dict())."""
    as_of = as_of or timezone.localdate()
    window = math.ceil(max(live["contact_window_days"], draft["contact_window_days"]))
    # The fingerprint is read before the evidence: a change in between makes the next
    # request read again, never keeps an older read.
    key, batch = cache.batch_for(
        lambda: (as_of, window, evidence_fingerprint()),
        partial(active_portfolio, as_of=as_of, contact_window_days=window),
    )
    now_live = _standings(key, batch, live)
    now_draft = _standings(key, batch, draft)
    accounts = Account.objects.filter(status=AccountStatus.ACTIVE).order_by("name", "pk")
    result = WhatIf()
    for pk, name, revenue in accounts.values_list("pk", "name", "annual_revenue"):
        result.add(
            account_id=pk,
            name=name,
            revenue=float(revenue),
            live=now_live.get(pk),
            draft=now_draft.get(pk),
        )
    return result.as_dict()
