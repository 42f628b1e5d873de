"""Plain data in and out of the engine: frozen dataclasses, no Django."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from scoring.engine.stages import Stage


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """A trust signal observed at the account."""

    observed_on: datetime.date
    slug: str
    category: str
    polarity: int  # +1 builds trust, -1 erodes it


@dataclass(frozen=True, slots=True)
class InteractionEvent:
    """One contact with the client."""

    occurred_on: datetime.date
    kind: str
    initiated_by_client: bool = False
    contact_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class AssessmentEvent:
    """A dated reading of business relevance (1-5) and, if known, the client's view of us."""

    assessed_on: datetime.date
    relevance: int
    client_perceived_stage: Stage | None = None


@dataclass(frozen=True)
class Evidence:
    """Everything known about one account, in any order (the engine sorts)."""

    signals: tuple[SignalEvent, ...] = ()
    interactions: tuple[InteractionEvent, ...] = ()
    assessments: tuple[AssessmentEvent, ...] = ()
    lost_on: datetime.date | None = None  # a lost account's timeline ends the day it was lost


# Weekly results are made for every week of every account (millions in a full recompute):
# NamedTuples build several times faster than frozen dataclasses.
class Contribution(NamedTuple):
    """Part of a week's score: points (signed) from one family of evidence."""

    key: str  # a signal category, or "engagement" for contact itself, or "floor"
    points: float
    signals: tuple[str, ...] = ()  # the slugs weighing most in this family, largest first


class RiskDriver(NamedTuple):
    """Part of a week's decline risk: points (0-100 in total) from one named cause."""

    key: str
    points: float
    detail: str


class WeekPoint(NamedTuple):
    """The account's standing at the end of one week."""

    week_ending: datetime.date  # a Sunday
    score: float  # 0-100
    stage: Stage
    decline_risk: float  # 0-100
    contributions: tuple[Contribution, ...] = ()
    risk_drivers: tuple[RiskDriver, ...] = ()
    next_stage_gap: str = ""
    evidence_points: float = 0.0  # E before the curve bends it into the score
