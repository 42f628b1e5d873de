"""Backtesting a scoring profile against accounts that were actually lost (no ORM here).

Would the profile have warned in time? For each lost account: how many weeks before the loss
its decline risk first entered the high band (within a year before the loss). Across the book:
the share of lost accounts warned at least LEAD_GOAL_WEEKS ahead, and the false-alarm rate,
the share of retained accounts that sat in the high band at some point in the last year.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from scoring.engine import WeekPoint

LOOKBACK_WEEKS = 52
LEAD_GOAL_WEEKS = 8


@dataclass
class LostAccountLead:
    account_id: int
    name: str
    lost_on: str  # ISO date
    lead_weeks: int | None  # None: never in the high band in the year before the loss


@dataclass
class BacktestSummary:
    lost: list[LostAccountLead] = field(default_factory=list)
    retained: int = 0
    false_alarms: int = 0

    @property
    def warned_in_time(self) -> int:
        return sum(1 for lead in self.lost if (lead.lead_weeks or 0) >= LEAD_GOAL_WEEKS)

    @property
    def warned_share(self) -> float:
        """Share (0-1) of lost accounts warned at least LEAD_GOAL_WEEKS ahead."""
        return self.warned_in_time / len(self.lost) if self.lost else 0.0

    @property
    def false_alarm_rate(self) -> float:
        """Share (0-1) of retained accounts that sat in the high band in the last year."""
        return self.false_alarms / self.retained if self.retained else 0.0

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "warned_share": self.warned_share,
            "false_alarm_rate": self.false_alarm_rate,
        }


class Backtest:
    """Feed it one account's weekly timeline at a time; read the summary at the end."""

    def __init__(self, *, high: float, as_of: datetime.date):
        self.high = high
        self.as_of = as_of
        self.summary = BacktestSummary()

    def add(
        self,
        *,
        account_id: int,
        name: str,
        lost_on: datetime.date | None,
        timeline: Iterable[WeekPoint],
    ) -> None:
        if lost_on is not None:
            self.summary.lost.append(
                LostAccountLead(
                    account_id, name, lost_on.isoformat(), self._lead(timeline, lost_on)
                )
            )
            return
        self.summary.retained += 1
        since = self.as_of - datetime.timedelta(weeks=LOOKBACK_WEEKS)
        if any(p.week_ending > since and p.decline_risk >= self.high for p in timeline):
            self.summary.false_alarms += 1

    def _lead(self, timeline: Iterable[WeekPoint], lost_on: datetime.date) -> int | None:
        since = lost_on - datetime.timedelta(weeks=LOOKBACK_WEEKS)
        for point in timeline:
            in_window = since < point.week_ending <= lost_on + datetime.timedelta(days=6)
            if in_window and point.decline_risk >= self.high:
                return max(0, (lost_on - point.week_ending).days // 7)
        return None


@dataclass
class StageChange:
    account_id: int
    name: str
    before: str  # stage value under the live version
    after: str  # stage value under the draft
    reason: str


@dataclass
class WhatIf:
    """The portfolio today under the live version and under a draft: stage counts, the
    accounts that would change stage and why, and revenue at risk (active accounts only)."""

    stages_live: dict[str, int] = field(default_factory=dict)
    stages_draft: dict[str, int] = field(default_factory=dict)
    changes: list[StageChange] = field(default_factory=list)
    revenue_at_risk_live: float = 0.0
    revenue_at_risk_draft: float = 0.0

    def add(
        self,
        *,
        account_id: int,
        name: str,
        revenue: float,
        live: WeekPoint | None,
        draft: WeekPoint | None,
    ) -> None:
        if live is None or draft is None:
            return
        for counts, point in ((self.stages_live, live), (self.stages_draft, draft)):
            counts[point.stage.value] = counts.get(point.stage.value, 0) + 1
        self.revenue_at_risk_live += revenue * live.decline_risk / 100
        self.revenue_at_risk_draft += revenue * draft.decline_risk / 100
        if live.stage != draft.stage:
            if draft.stage > live.stage:
                target = draft.stage.label.lower()
                reason = f"score {draft.score:.0f} and its gate are enough for {target}"
            else:
                below = live.stage.label.lower()
                reason = f"{below} needs more: " + (draft.next_stage_gap or "").replace("_", " ")
            self.changes.append(
                StageChange(account_id, name, live.stage.value, draft.stage.value, reason)
            )

    def as_dict(self) -> dict:
        return asdict(self)
