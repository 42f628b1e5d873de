"""The portfolio dashboard's numbers, computed from plain rows (no ORM, no Django).

The database cuts each panel's rows short and sums the whole view (scoring/dashboard/summary.py);
what a sales lead reads on the dashboard (docs/model.md, The account record) is ranked and
derived here, so each panel can be tested against a hand-built portfolio whose answers are
known.
"""

from __future__ import annotations

import datetime
import heapq
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from scoring.engine import Stage
from scoring.engine.explain import risk_driver_label

STAGES = list(Stage)
PARTNERSHIP_STAGES = {Stage.CONSULTANT, Stage.VIRTUAL_PARTNER}
# Potential partners are flagged while they still sit below consultant (essay 002: about one
# customer in five wants that depth of relationship; those are the ones to grow).
POTENTIAL_PARTNER_VALUES = {"could_partner", "strategic"}
REGULAR_VALUE = "regular"
# Concentration (docs/model.md, The account record): one account carrying this share of the revenue
# in view, or a Herfindahl index (sum of squared revenue shares, 0-10,000) this high, is flagged.
# 2,500 is the level at which competition authorities call a market highly concentrated.
CONCENTRATION_SHARE_FLAG = 0.25
CONCENTRATION_HHI_FLAG = 2500
PANEL_LENGTH = 10


@dataclass(frozen=True)
class Driver:
    key: str
    points: float
    detail: str

    @property
    def label(self) -> str:
        return risk_driver_label(self.key)


@dataclass(slots=True)
class PortfolioRow:
    """One account's latest standing, with what the dashboard needs to know about it.

    The risk drivers arrive as the snapshot's JSON text and are decoded only for the rows a
    panel shows: a portfolio of thousands needs just the top driver's name for every row.
    """

    account_id: int
    name: str
    owner_id: int
    owner_name: str
    industry: str
    revenue: Decimal
    potential: str
    status: str
    score: float
    stage: Stage
    decline_risk: float
    risk_band: str
    next_stage_gap: str
    drivers_json: str = "[]"  # [[key, points, detail], ...], largest first
    top_driver_key: str = ""
    score_30: float | None = None  # standing 4 weeks earlier
    stage_30: Stage | None = None
    score_90: float | None = None  # standing 13 weeks earlier
    stage_90: Stage | None = None
    decline_risk_90: float | None = None
    external_id: str = ""
    owner_username: str = ""
    next_step: str = ""  # our plan for the relationship (docs/model.md, The account record)
    next_step_due: datetime.date | None = None
    week_ending: datetime.date | None = None  # the week the standing belongs to

    @property
    def drivers(self) -> tuple[Driver, ...]:
        return tuple(Driver(*driver) for driver in json.loads(self.drivers_json))

    @property
    def shown_drivers(self) -> tuple[Driver, ...]:
        """The drivers worth a mention: those that add at least half a point of risk."""
        return tuple(driver for driver in self.drivers if driver.points >= 0.5)

    @property
    def top_driver(self) -> Driver | None:
        drivers = self.drivers
        return drivers[0] if drivers else None

    def has_driver(self, key: str) -> bool:
        return f'"{key}"' in self.drivers_json

    def driver(self, key: str) -> Driver | None:
        if not self.has_driver(key):
            return None
        return next((driver for driver in self.drivers if driver.key == key), None)

    def past(self, days: int) -> tuple[float | None, Stage | None]:
        return (self.score_30, self.stage_30) if days == 30 else (self.score_90, self.stage_90)


@dataclass
class StageTile:
    stage: Stage
    accounts: int
    revenue: Decimal


@dataclass
class Tiles:
    stages: list[StageTile]
    accounts: int
    revenue: Decimal
    partnerships: int
    revenue_at_risk: Decimal
    largest_account: PortfolioRow | None
    largest_share: float  # 0-1
    herfindahl: float  # 0-10,000
    concentrated: bool


@dataclass
class StageTotals:
    """The accounts at one stage, as the database sums them (scoring/dashboard/summary.py)."""

    stage: Stage
    accounts: int = 0
    revenue: Decimal = Decimal(0)
    revenue_at_risk: float = 0.0  # revenue weighted by decline risk read as a 0-1 weight
    revenue_squared: float = 0.0  # the sum of each account's revenue squared


def tiles(stages: Sequence[StageTotals], *, largest_account: PortfolioRow | None) -> Tiles:
    """Accounts and revenue per stage, partnerships, revenue at risk, concentration, from
    each stage's totals and the account with the largest revenue."""
    revenue = sum((totals.revenue for totals in stages), Decimal(0))
    at_risk = Decimal(round(sum(totals.revenue_at_risk for totals in stages)))
    if revenue > 0:
        total = float(revenue)
        largest = largest_account.revenue if largest_account is not None else Decimal(0)
        largest_share = float(largest) / total
        # The sum of squared shares: the sum of squared revenues over the total squared.
        herfindahl = sum(totals.revenue_squared for totals in stages) / total**2 * 10_000
    else:
        largest_share, herfindahl = 0.0, 0.0
    return Tiles(
        stages=[StageTile(totals.stage, totals.accounts, totals.revenue) for totals in stages],
        accounts=sum(totals.accounts for totals in stages),
        revenue=revenue,
        partnerships=sum(t.accounts for t in stages if t.stage in PARTNERSHIP_STAGES),
        revenue_at_risk=at_risk,
        largest_account=largest_account if revenue > 0 else None,
        largest_share=largest_share,
        herfindahl=herfindahl,
        concentrated=largest_share >= CONCENTRATION_SHARE_FLAG
        or herfindahl >= CONCENTRATION_HHI_FLAG,
    )


@dataclass
class Move:
    row: PortfolioRow
    change: float  # score points over the period
    from_stage: Stage


def movers(
    rows: Iterable[PortfolioRow], *, days: int, limit: int = PANEL_LENGTH
) -> tuple[list[Move], list[Move]]:
    """The biggest climbers and sliders over the period (30 or 90 days)."""
    moves = []
    for row in rows:
        score, stage = row.past(days)
        if score is not None and stage is not None:
            moves.append(Move(row, row.score - score, stage))
    # Under half a point either way is noise: the page shows whole points.
    climbers = heapq.nsmallest(
        limit, (m for m in moves if m.change >= 0.5), key=lambda m: (-m.change, m.row.name)
    )
    sliders = heapq.nsmallest(
        limit, (m for m in moves if m.change <= -0.5), key=lambda m: (m.change, m.row.name)
    )
    return climbers, sliders


@dataclass
class Transitions:
    """Counts of accounts from the stage they held at the start of the period to now."""

    counts: dict[tuple[Stage, Stage], int] = field(default_factory=dict)

    def matrix(self) -> list[tuple[Stage, list[int]]]:
        return [(a, [self.counts.get((a, b), 0) for b in STAGES]) for a in STAGES]

    @property
    def moved(self) -> int:
        return sum(n for (a, b), n in self.counts.items() if a != b)


def at_risk(rows: Iterable[PortfolioRow], *, limit: int = PANEL_LENGTH) -> list[PortfolioRow]:
    """Active accounts by decline risk, highest first (revenue breaks ties)."""
    active = (row for row in rows if row.status == "active" and row.decline_risk > 0)
    return heapq.nsmallest(
        limit, active, key=lambda row: (-row.decline_risk, -row.revenue, row.name)
    )


def could_become_partners(
    rows: Iterable[PortfolioRow], *, limit: int = PANEL_LENGTH
) -> list[PortfolioRow]:
    """Accounts marked as potential partners that still sit at vendor or confidant, closest
    to the next stage first."""
    found = [
        row
        for row in rows
        if row.status == "active"
        and row.potential in POTENTIAL_PARTNER_VALUES
        and row.stage not in PARTNERSHIP_STAGES
    ]
    return sorted(found, key=lambda row: (-row.score, row.name))[:limit]


def neglected_regulars(
    rows: Iterable[PortfolioRow], *, limit: int = PANEL_LENGTH
) -> list[PortfolioRow]:
    """Regular customers silent for longer than their own usual rhythm (the engine's silence
    driver says so, with the days), riskiest first."""
    found = [
        row
        for row in rows
        if row.status == "active" and row.potential == REGULAR_VALUE and row.has_driver("silence")
    ]
    return heapq.nsmallest(limit, found, key=lambda row: (-row.decline_risk, row.name))


def perception_gaps(
    rows: Iterable[PortfolioRow], *, limit: int = PANEL_LENGTH
) -> list[PortfolioRow]:
    """Accounts whose client sees the relationship differently from the evidence, riskiest
    first."""
    found = [row for row in rows if row.status == "active" and row.has_driver("perception_gap")]
    return heapq.nsmallest(limit, found, key=lambda row: (-row.decline_risk, row.name))


@dataclass
class ManagerLine:
    owner_id: int
    owner_name: str
    accounts: int
    stage_counts: list[int]  # per stage, vendor first
    revenue: Decimal
    average_risk: float
    high_risk: int
    interactions_30: int
    no_step: int = 0  # accounts with no next step planned
    overdue: int = 0  # accounts whose next step is past its due date

    def cells(self) -> list[str]:
        """The table cells after the name, formatted here: a sales floor has hundreds of
        managers, and as many rows of numbers through template localisation cost real time."""
        return [
            *(str(n) for n in self.stage_counts),
            f"{self.revenue:,.0f}",
            f"{self.average_risk:.0f}",
            str(self.high_risk),
            str(self.interactions_30),
            str(self.no_step),
            str(self.overdue),
        ]


@dataclass
class ManagerPage:
    """One page of the by-manager table: its lines, which page it is, the position of its
    first line among all (from 1), and whether more managers follow."""

    lines: list[ManagerLine]
    page: int = 1
    first: int = 1
    more: bool = False

    @property
    def last(self) -> int:
        return self.first + len(self.lines) - 1

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.more else None
