"""The dashboard's tallies (`StandingTally`, `MapTally`): its lines counted and summed by group.

A write of lines (scoring/standing_lines.py) gathers a `TallyChange`: minus every line it
deletes (as the delete returns it), plus every line it inserts. It records the change as rows
appended to `StandingTallyChange` and `MapTallyChange`, in its own transaction, so the counts
are never wrong and no write ever waits on another's groups (a counter row updated in place
would be locked until the writer commits, and a write that changes many groups would wait on
the others in any order). The dashboard reads each tally with its changes added
(`with_changes`), and after each write commits, `tallies_fold` folds the changes into the
tallies in a short transaction of its own. `tallies_rebase` sets the tallies to what the lines
give, less the changes not folded yet, in one read. The sums are exact decimals.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, QuerySet, Value

from scoring.models import (
    MAP_TALLY_KEY,
    STANDING_TALLY_KEY,
    MapTally,
    MapTallyChange,
    ScoringProfile,
    StandingLine,
    StandingTally,
    StandingTallyChange,
)

# The map's squares: 20 x 20 of 5 points of score by 5 of decline risk.
MAP_BIN = 5
MAP_BINS = 100 // MAP_BIN
CENT = Decimal("0.01")

# The columns of a line that the tallies count, as a deleted line is returned.
TALLIED_COLUMNS = (
    "profile_id",
    *STANDING_TALLY_KEY,
    "score_bin",
    "risk_bin",
    "revenue",
    "revenue_at_risk",
)
_STANDING_SUMS = ("accounts", "revenue", "revenue_at_risk", "revenue_squared")
# Rows per statement: SQLite takes 32,766 parameters at most, and a row has up to 12.
ROWS_PER_STATEMENT = 1000
# The key of the advisory lock that folding and rebasing hold (PostgreSQL).
TALLY_LOCK = 0x7A11E5


def map_square(score: float, risk: float) -> tuple[int, int]:
    """The map's square (score bin, risk bin), each 0-19, that a standing falls in."""
    return min(int(score // MAP_BIN), MAP_BINS - 1), min(int(risk // MAP_BIN), MAP_BINS - 1)


def revenue_at_risk(revenue: Decimal, risk: float) -> Decimal:
    """Revenue weighted by decline risk read as a 0-1 weight, to the hundredth of a unit."""
    return (revenue * Decimal(repr(risk)) / 100).quantize(CENT)


class TallyChange:
    """What a write of lines changes in each group of the tallies."""

    def __init__(self) -> None:
        # (profile, *group) -> [accounts, revenue, revenue at risk, revenue squared]
        self.standing: defaultdict[tuple, list] = defaultdict(
            lambda: [0, Decimal(0), Decimal(0), Decimal(0)]
        )
        self.squares: Counter[tuple] = Counter()

    def add(self, lines: Iterable[StandingLine]) -> None:
        for line in lines:
            self._count(tuple(getattr(line, column) for column in TALLIED_COLUMNS), +1)

    def remove(self, rows: Iterable[Sequence]) -> None:
        """Take away lines given as rows of TALLIED_COLUMNS."""
        for row in rows:
            self._count(row, -1)

    def _count(self, row: Sequence, sign: int) -> None:
        profile, *key, score_bin, risk_bin, revenue, at_risk = row
        revenue, at_risk = Decimal(revenue), Decimal(at_risk)  # SQLite returns floats
        group = self.standing[(profile, *key)]
        group[0] += sign
        group[1] += sign * revenue
        group[2] += sign * at_risk
        group[3] += sign * revenue * revenue
        industry, potential, stage, band = key[:4]
        self.squares[(profile, industry, potential, stage, band, score_bin, risk_bin)] += sign

    def add_sums(self, group: tuple, sums: Sequence, sign: int = +1) -> None:
        """Add (or with `sign` -1, take away) a group's sums as the database returns them
        (accounts, revenue, revenue at risk, revenue squared; SQLite returns floats)."""
        total = self.standing[group]
        total[0] += sign * sums[0]
        for index in (1, 2, 3):
            total[index] += sign * Decimal(sums[index])

    def record(self) -> None:
        """Append the change (its groups that moved) to the changes not folded yet, and fold
        them into the tallies once the transaction commits."""
        standing = [
            StandingTallyChange(**_fields(("profile_id", *STANDING_TALLY_KEY), group, sums))
            for group, sums in self.standing.items()
            if any(sums)
        ]
        squares = [
            MapTallyChange(**_fields(("profile_id", *MAP_TALLY_KEY), group, [n]))
            for group, n in self.squares.items()
            if n
        ]
        StandingTallyChange.objects.bulk_create(standing)
        MapTallyChange.objects.bulk_create(squares)
        if standing or squares:
            transaction.on_commit(tallies_fold)


def _fields(columns: Sequence[str], group: tuple, sums: Sequence) -> dict:
    names = _STANDING_SUMS if len(sums) == 4 else ("accounts",)
    return {**dict(zip(columns, group, strict=True)), **dict(zip(names, sums, strict=True))}


def with_changes(tallies: QuerySet, changes: QuerySet) -> list:
    """The rows of a grouped read of the tallies and the same read of the changes not folded
    yet, in one statement (one moment of the database): the caller adds them up by group."""
    return list(tallies.order_by().union(changes.order_by(), all=True))


def tallies_fold() -> None:
    """Fold the changes recorded so far into the tallies, in a transaction of its own; left
    for the next fold if another fold or a rebase is running."""
    with transaction.atomic():
        if not _lock(wait=False):
            return
        change = TallyChange()
        width = 1 + len(STANDING_TALLY_KEY)
        for row in _take(StandingTallyChange, ("profile_id", *STANDING_TALLY_KEY, *_STANDING_SUMS)):
            change.add_sums(tuple(row[:width]), row[width:])
        for profile, *key, n in _take(MapTallyChange, ("profile_id", *MAP_TALLY_KEY, "accounts")):
            change.squares[(profile, *key)] += n
        _add(change)


def tallies_rebase(profile: ScoringProfile) -> None:
    """Set the tallies of `profile` to what its lines give, less the changes not folded yet
    (read with the lines, at one moment); drop any other version's."""
    _lock(wait=True)
    StandingTally.objects.all().delete()
    MapTally.objects.all().delete()
    StandingTallyChange.objects.exclude(profile=profile).delete()
    MapTallyChange.objects.exclude(profile=profile).delete()
    lines = StandingLine.objects.filter(profile=profile).order_by()
    standing_lines = lines.annotate(
        less_one=Value(-1),
        less_revenue=F("revenue") * -1,
        less_at_risk=F("revenue_at_risk") * -1,
        less_squared=F("revenue") * F("revenue") * -1,
    ).values_list(*STANDING_TALLY_KEY, "less_one", "less_revenue", "less_at_risk", "less_squared")
    standing_changes = (
        StandingTallyChange.objects.filter(profile=profile)
        .order_by()
        .values_list(*STANDING_TALLY_KEY, *_STANDING_SUMS)
    )
    change = TallyChange()
    # The changes not folded yet, less the lines: the negative of what the tallies must hold.
    width = len(STANDING_TALLY_KEY)
    for row in with_changes(standing_changes, standing_lines):
        change.add_sums((profile.pk, *row[:width]), row[width:], sign=-1)
    square_lines = lines.annotate(less_one=Value(-1)).values_list(*MAP_TALLY_KEY, "less_one")
    square_changes = (
        MapTallyChange.objects.filter(profile=profile)
        .order_by()
        .values_list(*MAP_TALLY_KEY, "accounts")
    )
    for *key, n in with_changes(square_changes, square_lines):
        change.squares[(profile.pk, *key)] -= n
    _add(change)


def _lock(*, wait: bool) -> bool:
    """Take the advisory lock of folding and rebasing until the transaction ends (SQLite has
    one writer at a time anyway); without `wait`, only if it is free."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TALLY_LOCK])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [TALLY_LOCK])
        return bool(cursor.fetchone()[0])


def _take(model, columns: Sequence[str]) -> list[tuple]:
    """Delete every row of `model` this statement sees, returning `columns` of each."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(model._meta.db_table)} "
            f"RETURNING {', '.join(quote(column) for column in columns)}"
        )
        return cursor.fetchall()


def _add(change: TallyChange) -> None:
    """Add `change` to the tallies: a new group is inserted, an existing one gets the sums
    added, in key order; a group left with no account is deleted."""
    standing = [
        (*group, *sums) for group, sums in sorted(change.standing.items(), key=_order) if any(sums)
    ]
    squares = [(*group, n) for group, n in sorted(change.squares.items(), key=_order) if n]
    _upsert(StandingTally, STANDING_TALLY_KEY, _STANDING_SUMS, standing)
    _upsert(MapTally, MAP_TALLY_KEY, ("accounts",), squares)
    StandingTally.objects.filter(accounts=0).delete()
    MapTally.objects.filter(accounts=0).delete()


def _order(item: tuple) -> tuple:
    """Groups in one order whatever their values' types (a date, a string, a number)."""
    return tuple(
        value.isoformat() if isinstance(value, datetime.date) else value for value in item[0]
    )


def _upsert(model, key: Sequence[str], sums: Sequence[str], rows: list[tuple]) -> None:
    """Add `rows` (profile, *key, *sums) to `model`'s groups."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ["profile_id", *key, *sums]
    row_marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    conflict = ", ".join(quote(column) for column in ["profile_id", *key])
    added = ", ".join(f"{quote(s)} = {table}.{quote(s)} + excluded.{quote(s)}" for s in sums)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[start : start + ROWS_PER_STATEMENT]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
                f"VALUES {', '.join([row_marks] * len(part))} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {added}",
                [value for row in part for value in row],
            )
