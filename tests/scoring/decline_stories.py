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
from collections.abc import Callable
from dataclasses import dataclass, field

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
    lost = name in LOSSES
    telling = _Telling.drawn(rng, stage, lost=lost)
    telling.climb()
    if name not in _TURNS:
        raise ValueError(f"unknown story {name}")
    _TURNS[name](telling)
    events = telling.events + [
        assessment(offset, relevance) for offset, relevance in telling.relevance_plan
    ]
    lost_on = day(telling.end) if lost else None
    return Story(
        name,
        stage,
        evidence(*events, lost_on=lost_on),
        day(telling.turn),
        lost_on,
        day(telling.end),
    )


@dataclass
class _Telling:
    """A story as it is told: the account's rhythm, depth and people, and its evidence so far.

    Every draw comes from `rng`, in the order the story is told, so one seed tells one story
    (and the stories stay what the engine's warnings were tuned on).
    """

    rng: random.Random
    stage: Stage  # the stage the account was built up to
    rhythm: float  # days between contacts, on average
    richness: float  # how much of what a stage shows this client shows
    climb_days: int
    turn: int  # the day the story's trouble begins
    end: int  # the day the account is lost, or the story ends
    lead_days: int  # a loss: how long before it the trouble began
    contacts: list[int]
    champion: int
    events: list = field(default_factory=list)
    relevance_plan: list[tuple[int, int]] = field(default_factory=list)  # (day, relevance)
    after: int = 0  # contact has been told up to this day

    @classmethod
    def drawn(cls, rng: random.Random, stage: Stage, *, lost: bool) -> _Telling:
        """The account's rhythm, depth, history, timing and people, drawn."""
        rhythm = rng.uniform(7, 24) if stage >= Stage.CONFIDANT else rng.uniform(10, 35)
        richness = rng.uniform(0.6, 1.4)
        climb_days = rng.randint(200, 500)
        turn = climb_days + rng.randint(250, 700)
        lead_days = rng.randint(14, 36) * 7 if lost else 0
        end = turn + (lead_days if lost else rng.randint(20, 40) * 7)
        contacts = list(range(1, rng.randint(3, 6) + 1))
        return cls(
            rng, stage, rhythm, richness, climb_days, turn, end, lead_days, contacts, contacts[0]
        )

    def reached(self, offset: int) -> Stage:
        """The stage the climb has reached `offset` days in."""
        rank = 1 + (self.stage.rank - 1) * min(1.0, offset / self.climb_days)
        return sorted(Stage)[int(rank + 1e-9) - 1]

    def contact_on(self, offset: int, at: Stage, with_signals: bool = True, who=None) -> None:
        """A meeting with some of the contacts (or `who`), and the signals of stages up to
        `at` that the client shows in it, by chance."""
        rng = self.rng
        people = who or rng.sample(self.contacts, min(len(self.contacts), rng.choice((1, 2, 2, 3))))
        self.events.append(meeting(offset, *people, kind=rng.choice(KINDS_AT[at])))
        if with_signals:
            for level in sorted(Stage):
                if level > at:
                    break
                chance = 0.35 if level is at else 0.15
                if rng.random() < chance * self.richness:
                    self.events.append(signal(rng.choice(SHOWN_AT[level]), offset))

    def climb(self) -> None:
        """The climb and the years at the stage it reached, up to the turn, and the
        relevance of every quarter up to the end."""
        rng = self.rng
        offset = rng.randint(0, 10)
        while offset < self.turn:
            self.contact_on(offset, self.reached(offset))
            offset += max(1, round(rng.gauss(self.rhythm, self.rhythm / 4)))
        for quarter in range(0, self.end + 1, rng.randint(80, 100)):
            relevance = 4 if quarter < self.climb_days / 2 else rng.choice((4, 5))
            self.relevance_plan.append((quarter, relevance))
        self.after = self.turn

    def carry_on(self, until: int, *, pace: float = 1.0, signals: bool = True, who=None) -> None:
        """Contact keeps its rhythm (times `pace`) from the turn up to `until`."""
        offset = self.after
        while offset < until:
            offset += max(1, round(self.rng.gauss(self.rhythm * pace, self.rhythm * pace / 4)))
            if offset < until:
                self.contact_on(offset, self.stage, signals, who)
        self.after = until


# How each story turns, from the turn on: the losses ------------------------------------------


def _retender(telling: _Telling) -> None:
    telling.carry_on(telling.end, signals=False)
    telling.events += [signal("retender_or_competitive_bid", telling.turn)]
    if telling.rng.random() < 0.5:
        telling.events.append(
            signal("competitor_invited", telling.turn + telling.rng.randint(20, 60))
        )


def _competitor_invited(telling: _Telling) -> None:
    telling.carry_on(telling.end, signals=False)
    telling.events.append(signal("competitor_invited", telling.turn))


def _excluded_from_planning(telling: _Telling) -> None:
    telling.carry_on(telling.end, pace=1.3, signals=False)
    telling.events.append(signal("excluded_from_planning", telling.turn))


def _delivery_failures(telling: _Telling) -> None:
    rng = telling.rng
    telling.carry_on(telling.end, signals=False)
    failures = ["delivery_miss"] * rng.randint(3, 4) + ["escalation"] * rng.randint(1, 2)
    span = min(182, telling.lead_days - 56)
    for slug in failures:
        telling.events.append(signal(slug, telling.turn + rng.randint(0, max(1, span))))


def _silence(telling: _Telling) -> None:
    telling.after = telling.end  # nothing at all from the turn on


def _fading_relevance(telling: _Telling) -> None:
    # The client's need for the offering fades: relevance falls a step a quarter, the
    # deeper signals stop and contact thins out (docs/model.md, the carbon-paper case).
    turn, end = telling.turn, telling.end
    telling.carry_on(end, pace=1.5, signals=False)
    telling.relevance_plan = [(d, r) for d, r in telling.relevance_plan if d < turn]
    step = max(28, telling.lead_days // 4)
    for index, offset in enumerate(range(turn, end, step)):
        telling.relevance_plan.append((offset, max(1, 4 - index)))


def _champion_leaves(telling: _Telling) -> None:
    telling.events.append(signal("champion_left", telling.turn))
    telling.contacts.remove(telling.champion)
    telling.carry_on(telling.end, pace=1.6, signals=False, who=[telling.contacts[0]])


def _price_squeeze(telling: _Telling) -> None:
    telling.carry_on(telling.end, signals=False)
    for offset in range(telling.turn, telling.end - 28, telling.rng.randint(21, 35)):
        telling.events.append(signal("price_pressure", offset))


# Retained accounts: a rough patch, then business as usual --------------------------------


def _steady(telling: _Telling) -> None:
    telling.carry_on(telling.end)


def _one_miss_resolved(telling: _Telling) -> None:
    telling.events.append(signal("delivery_miss", telling.turn))
    telling.events.append(
        signal("issue_resolved_jointly", telling.turn + telling.rng.randint(14, 35))
    )
    telling.carry_on(telling.end)


def _holiday_gap(telling: _Telling) -> None:
    # One to two and a half usual gaps.
    telling.after = telling.turn + round(telling.rhythm * telling.rng.uniform(0, 0.5))
    telling.carry_on(telling.end)


def _price_talk(telling: _Telling) -> None:
    telling.events.append(signal("price_pressure", telling.turn))
    telling.carry_on(telling.end)


def _relevance_dip(telling: _Telling) -> None:
    turn = telling.turn
    telling.relevance_plan = [
        (d, r) for d, r in telling.relevance_plan if not turn <= d < turn + 120
    ]
    telling.relevance_plan.append((turn, 3))
    telling.relevance_plan.append((turn + 120, 4))
    telling.carry_on(telling.end)


def _champion_replaced(telling: _Telling) -> None:
    telling.events.append(signal("champion_left", telling.turn))
    telling.contacts.remove(telling.champion)
    telling.contacts.append(max(telling.contacts) + 1)
    telling.carry_on(telling.end)


_TURNS: dict[str, Callable[[_Telling], None]] = {
    "retender": _retender,
    "competitor_invited": _competitor_invited,
    "excluded_from_planning": _excluded_from_planning,
    "delivery_failures": _delivery_failures,
    "silence": _silence,
    "fading_relevance": _fading_relevance,
    "champion_leaves": _champion_leaves,
    "price_squeeze": _price_squeeze,
    "steady": _steady,
    "one_miss_resolved": _one_miss_resolved,
    "holiday_gap": _holiday_gap,
    "price_talk": _price_talk,
    "relevance_dip": _relevance_dip,
    "champion_replaced": _champion_replaced,
}
