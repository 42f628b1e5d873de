"""Decline stories told from docs/model.md (Decline risk), independent of the demo portfolio's own
generator.

The engine's warnings are checked on these: each story is drawn many times with its own
random rhythm, depth of relationship, history length and timing, so a default that only works
for one drawing fails. A story is an account that climbed to a stage and kept it, then either
turns (and is lost some weeks later) or goes through a rough patch and recovers.

Everything comes from one `random.Random(seed)`; days count from `START` in tests.evidence.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from scoring.engine import Evidence, Stage
from tests.scoring.evidence import assessment, day, evidence, meeting, signal

# What the client does at each position (the table in docs/model.md, The relationship S-curve), as
# the signals it shows.
SHOWN_AT: dict[Stage, tuple[str, ...]] = {
    Stage.VENDOR: ("delivered_as_promised", "repeat_business"),
    Stage.CONFIDANT: ("early_notice_of_plans", "invited_to_planning", "shared_business_details"),
    Stage.CONSULTANT: (
        "strategy_advice_requested",
        "brought_external_insight",
        "inner_circle_access",
    ),
    Stage.VIRTUAL_PARTNER: ("consulted_on_major_decision", "treated_as_team_member"),
}
KINDS_AT: dict[Stage, tuple[str, ...]] = {
    Stage.VENDOR: ("call", "email", "meeting"),
    Stage.CONFIDANT: ("meeting", "planning_session"),
    Stage.CONSULTANT: ("workshop", "business_review", "meeting"),
    Stage.VIRTUAL_PARTNER: ("planning_session", "workshop", "meeting"),
}

LOSSES = (
    "retender",
    "competitor_invited",
    "excluded_from_planning",
    "delivery_failures",
    "silence",
    "fading_relevance",
    "champion_leaves",
    "price_squeeze",
)
ROUGH_PATCHES = (
    "steady",
    "one_miss_resolved",
    "holiday_gap",
    "price_talk",
    "relevance_dip",
    "champion_replaced",
)


@dataclass(frozen=True)
class Story:
    name: str
    stage: Stage  # the stage the account was built up to
    evidence: Evidence
    turn_on: datetime.date  # when the story's trouble began
    lost_on: datetime.date | None
    as_of: datetime.date


def tell(name: str, stage: Stage, seed: int) -> Story:
    """One drawing of story `name` for an account that had reached `stage`."""
    rng = random.Random(f"{name}-{stage.value}-{seed}")
    rhythm = rng.uniform(7, 24) if stage >= Stage.CONFIDANT else rng.uniform(10, 35)
    richness = rng.uniform(0.6, 1.4)  # how much of what a stage shows this client shows
    climb_days = rng.randint(200, 500)
    history_days = climb_days + rng.randint(250, 700)
    turn = history_days
    lost = name in LOSSES
    lead_days = rng.randint(14, 36) * 7 if lost else 0
    end = turn + (lead_days if lost else rng.randint(20, 40) * 7)
    contacts = list(range(1, rng.randint(3, 6) + 1))
    champion = contacts[0]

    events: list = []
    relevance_plan: list[tuple[int, int]] = []  # (day, relevance)

    def reached(offset: int) -> Stage:
        rank = 1 + (stage.rank - 1) * min(1.0, offset / climb_days)
        return sorted(Stage)[int(rank + 1e-9) - 1]

    def contact_on(offset: int, at: Stage, with_signals: bool = True, who=None) -> None:
        people = who or rng.sample(contacts, min(len(contacts), rng.choice((1, 2, 2, 3))))
        events.append(meeting(offset, *people, kind=rng.choice(KINDS_AT[at])))
        if with_signals:
            for level in sorted(Stage):
                if level > at:
                    break
                chance = 0.35 if level is at else 0.15
                if rng.random() < chance * richness:
                    events.append(signal(rng.choice(SHOWN_AT[level]), offset))

    # The climb and the years at the stage it reached.
    offset = rng.randint(0, 10)
    while offset < turn:
        contact_on(offset, reached(offset))
        offset += max(1, round(rng.gauss(rhythm, rhythm / 4)))
    for quarter in range(0, end + 1, rng.randint(80, 100)):
        relevance_plan.append((quarter, 4 if quarter < climb_days / 2 else rng.choice((4, 5))))

    after = turn
    story_rng = rng

    def carry_on(until: int, *, pace: float = 1.0, signals: bool = True, who=None) -> None:
        """Contact keeps its rhythm (times `pace`) from the turn up to `until`."""
        nonlocal after
        offset = after
        while offset < until:
            offset += max(1, round(story_rng.gauss(rhythm * pace, rhythm * pace / 4)))
            if offset < until:
                contact_on(offset, stage, signals, who)
        after = until

    if name == "retender":
        carry_on(end, signals=False)
        events += [signal("retender_or_competitive_bid", turn)]
        if rng.random() < 0.5:
            events.append(signal("competitor_invited", turn + rng.randint(20, 60)))
    elif name == "competitor_invited":
        carry_on(end, signals=False)
        events.append(signal("competitor_invited", turn))
    elif name == "excluded_from_planning":
        carry_on(end, pace=1.3, signals=False)
        events.append(signal("excluded_from_planning", turn))
    elif name == "delivery_failures":
        carry_on(end, signals=False)
        failures = ["delivery_miss"] * rng.randint(3, 4) + ["escalation"] * rng.randint(1, 2)
        span = min(182, lead_days - 56)
        for slug in failures:
            events.append(signal(slug, turn + rng.randint(0, max(1, span))))
    elif name == "silence":
        after = end  # nothing at all from the turn on
    elif name == "fading_relevance":
        # The client's need for the offering fades: relevance falls a step a quarter, the
        # deeper signals stop and contact thins out (docs/model.md, the carbon-paper case).
        carry_on(end, pace=1.5, signals=False)
        relevance_plan = [(d, r) for d, r in relevance_plan if d < turn]
        step = max(28, lead_days // 4)
        for index, offset in enumerate(range(turn, end, step)):
            relevance_plan.append((offset, max(1, 4 - index)))
    elif name == "champion_leaves":
        events.append(signal("champion_left", turn))
        contacts.remove(champion)
        carry_on(end, pace=1.6, signals=False, who=[contacts[0]])
    elif name == "price_squeeze":
        carry_on(end, signals=False)
        for offset in range(turn, end - 28, rng.randint(21, 35)):
            events.append(signal("price_pressure", offset))
    # Retained accounts: a rough patch, then business as usual.
    elif name == "steady":
        carry_on(end)
    elif name == "one_miss_resolved":
        events.append(signal("delivery_miss", turn))
        events.append(signal("issue_resolved_jointly", turn + rng.randint(14, 35)))
        carry_on(end)
    elif name == "holiday_gap":
        after = turn + round(rhythm * rng.uniform(0, 0.5))  # one to two and a half usual gaps
        carry_on(end)
    elif name == "price_talk":
        events.append(signal("price_pressure", turn))
        carry_on(end)
    elif name == "relevance_dip":
        relevance_plan = [(d, r) for d, r in relevance_plan if not turn <= d < turn + 120]
        relevance_plan.append((turn, 3))
        relevance_plan.append((turn + 120, 4))
        carry_on(end)
    elif name == "champion_replaced":
        events.append(signal("champion_left", turn))
        contacts.remove(champion)
        contacts.append(max(contacts) + 1)
        carry_on(end)
    else:
        raise ValueError(f"unknown story {name}")

    events += [assessment(offset, relevance) for offset, relevance in relevance_plan]
    lost_on = day(end) if lost else None
    return Story(name, stage, evidence(*events, lost_on=lost_on), day(turn), lost_on, day(end))
