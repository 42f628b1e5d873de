"""The dashboard's tallies (`StandingTally`, `MapTally`): its lines counted and summed by group,
changed by what each write adds and takes away, in the same transaction as the lines.

A write of lines (scoring/standing_lines.py) takes the tallies' lock (`tally_lock`) and
gathers a `TallyChange`: minus every line it deletes, plus every line it inserts.
`TallyChange.apply` then adds the difference to each group in one statement per table
(INSERT ... ON CONFLICT DO UPDATE, the same on PostgreSQL and on SQLite); a group left with
no account is deleted. A rebuild counts every line afresh. The sums are exact decimals, so
that a group's sums after any number of writes are what a rebuild gives.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import connection

from scoring.models import (
    MAP_TALLY_KEY,
    STANDING_TALLY_KEY,
    MapTally,
    ScoringProfile,
    StandingLine,
    StandingTally,
)

# The map's squares: 20 x 20 of 5 points of score by 5 of decline risk.
MAP_BIN = 5
MAP_BINS = 100 // MAP_BIN

# What a line adds to the tallies, read from the database for the lines a write replaces.
TALLIED_FIELDS = (
    "industry",
    "potential",
    "stage",
    "risk_band",
    "week_ending",
    "stage_4w",
    "stage_13w",
    "revenue",
    "score",
    "decline_risk",
)
# Rows per statement: SQLite takes 32,766 parameters at most, and a row has up to 12.
ROWS_PER_STATEMENT = 1000


def map_square(score: float, risk: float) -> tuple[int, int]:
    """The map's square (score bin, risk bin), each 0-19, that a standing falls in."""
    return min(int(score // MAP_BIN), MAP_BINS - 1), min(int(risk // MAP_BIN), MAP_BINS - 1)


def revenue_at_risk(revenue: Decimal, risk: float) -> Decimal:
    """Revenue weighted by decline risk read as a 0-1 weight, to the hundredth of a unit:
    exact decimals, so that what one write adds and another takes away cancels out."""
    return (revenue * Decimal(repr(risk)) / 100).quantize(CENT)


CENT = Decimal("0.01")


class TallyChange:
    """What a write of lines changes in each group of the tallies."""

    def __init__(self) -> None:
        # group -> [accounts, revenue, revenue at risk, revenue squared]
        self.standing: defaultdict[tuple, list] = defaultdict(
            lambda: [0, Decimal(0), Decimal(0), Decimal(0)]
        )
        self.squares: Counter[tuple] = Counter()

    def add(self, lines: Iterable[StandingLine]) -> None:
        for line in lines:
            self._count(_values(line), +1)

    def remove(self, rows: Iterable[Sequence]) -> None:
        """Take away lines read as rows of TALLIED_FIELDS."""
        for row in rows:
            self._count(row, -1)

    def _count(self, row: Sequence, sign: int) -> None:
        industry, potential, stage, band, week, stage_4w, stage_13w, revenue, score, risk = row
        group = self.standing[(industry, potential, stage, band, week, stage_4w, stage_13w)]
        group[0] += sign
        group[1] += sign * revenue
        group[2] += sign * revenue_at_risk(revenue, risk)
        group[3] += sign * revenue * revenue
        self.squares[(industry, potential, stage, band, *map_square(score, risk))] += sign

    def apply(self, profile: ScoringProfile) -> None:
        """Add the change to the tallies of `profile`."""
        standing = [
            (profile.pk, *group, *sums)
            for group, sums in sorted(self.standing.items(), key=_order)
            if any(sums)
        ]
        squares = [
            (profile.pk, *group, n) for group, n in sorted(self.squares.items(), key=_order) if n
        ]
        _upsert(StandingTally, STANDING_TALLY_KEY, _STANDING_SUMS, standing)
        _upsert(MapTally, MAP_TALLY_KEY, ("accounts",), squares)
        # Only a group that lost an account can be left with none.
        if any(sums[0] < 0 for sums in self.standing.values()):
            StandingTally.objects.filter(profile=profile, accounts=0).delete()
        if any(n < 0 for n in self.squares.values()):
            MapTally.objects.filter(profile=profile, accounts=0).delete()


# The key of the transaction-scoped advisory lock every write of the tallies holds.
TALLY_LOCK = 0x7A11E5


def tally_lock() -> None:
    """Hold the tallies' lock until the transaction ends (PostgreSQL; SQLite has one writer
    at a time anyway). Every write of lines takes it before its first change to them, so
    writes of the tallies never wait on each other's groups in a cycle (a transaction that
    changes them twice, as the CSV import does, would otherwise lock groups out of order),
    and a version going live replaces them while no other write can."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TALLY_LOCK])


def tallies_rebuild(profile: ScoringProfile, change: TallyChange) -> None:
    """Replace every tally with `change` (the count of every line, under `profile`)."""
    StandingTally.objects.all().delete()
    MapTally.objects.all().delete()
    change.apply(profile)


_STANDING_SUMS = ("accounts", "revenue", "revenue_at_risk", "revenue_squared")


def _values(line: StandingLine) -> tuple:
    return tuple(getattr(line, field) for field in TALLIED_FIELDS)


def _order(item: tuple) -> tuple:
    """Groups in one order whatever their values' types (a date, a string, a number)."""
    return tuple(
        value.isoformat() if isinstance(value, datetime.date) else value for value in item[0]
    )


def _upsert(model, key: Sequence[str], sums: Sequence[str], rows: list[tuple]) -> None:
    """Add `rows` (profile, *key, *sums) to `model`'s groups: a new group is inserted, an
    existing one gets the sums added."""
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
