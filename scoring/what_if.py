"""The what-if comparison: the portfolio today under the live version and under a draft
(no ORM here; scoring/preview.py feeds it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from scoring.engine import WeekPoint


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
