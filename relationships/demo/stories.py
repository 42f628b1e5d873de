"""Believable account histories for the demo portfolio, as plain data (no Django).

Each account follows one of the stories docs/model.md tells: a steady climb to virtual partner, a
consultant whose offering loses relevance (the carbon-paper case), a transactional vendor, a
recovery after a delivery miss, a re-tender, a champion who leaves, a slow decline ending in a
loss, and one anchor account carrying a large share of revenue. A story is a *level* over the
account's life (1 = vendor ... 4 = virtual partner) plus scheduled events; interactions and the
signals seen in them are drawn around that level, so the evidence reads like a real account.

Everything is drawn from one `random.Random(seed)`, and dates are relative to `as_of`, so the
same seed and as-of date give the same portfolio.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from relationships.demo.vocabulary import (
    INDUSTRIES,
    INDUSTRY_NAME_WORDS,
    LOST_REASONS,
    MISSIONS,
    NAME_FIRST,
    NAME_SUFFIX,
    NEXT_STEPS,
    NOTES,
    OBJECTIVES,
    PERSON_FIRST,
    PERSON_LAST,
    PRESSURES,
    REGULAR_OBJECTIVE,
    TITLES,
)
from relationships.models import StageChoice

T = TypeVar("T")

# Accounts that are kept. Some go through a rough patch and recover: a single delivery miss,
# a re-tender we won, a champion who left and was replaced, a quiet spell.
KEPT_STORIES = (
    "climber",
    "plateau_fading",
    "transactional",
    "steady_confidant",
    "recovery",
    "retender_won",
    "champion_replaced",
    "quiet_spell",
    "anchor",
)
# Accounts that are lost, each after one of the decline stories of docs/model.md (Decline risk)
# (fading relevance, silence, a re-tender, repeated delivery failures, the champion leaving, a price
# squeeze). About one account in seven is lost; they take the stories in turn.
LOST_STORIES = (
    "lost_relevance",
    "lost_silence",
    "lost_retender",
    "lost_delivery",
    "lost_champion",
    "lost_price",
)
STORIES = KEPT_STORIES + LOST_STORIES
LOST_SHARE = 1 / 7

# How often each kept story appears (the anchor is always exactly one account).
STORY_WEIGHTS = {
    "climber": 14,
    "plateau_fading": 1,
    "transactional": 24,
    "steady_confidant": 19,
    "recovery": 7,
    "retender_won": 2,
    "champion_replaced": 4,
    "quiet_spell": 5,
}

# Positive evidence unlocks as the relationship climbs (docs/model.md, Position): the level a
# relationship must have reached before the client plausibly shows each signal.
POSITIVE_TIERS: list[tuple[float, tuple[str, ...]]] = [
    (1.0, ("delivered_as_promised", "repeat_business")),
    (1.7, ("shared_business_details", "early_notice_of_plans", "invited_to_planning")),
    (
        2.6,
        (
            "strategy_advice_requested",
            "brought_external_insight",
            "solved_underlying_problem",
            "inner_circle_access",
            "issue_resolved_jointly",
        ),
    ),
    (3.4, ("consulted_on_major_decision", "treated_as_team_member")),
]
BACKGROUND_NEGATIVES = ("price_pressure", "delivery_miss", "escalation")
# The chance that an ordinary contact brings an unplanned slip: about one every two years
# for an account met weekly. The stories' own troubles come on top.
BACKGROUND_SLIP = 0.01

KINDS_BY_LEVEL: list[tuple[float, tuple[str, ...]]] = [
    (1.0, ("email", "call", "meeting", "email", "call")),
    (1.7, ("meeting", "planning_session", "business_review")),
    (2.6, ("workshop", "business_review", "planning_session", "meeting")),
    (3.4, ("social", "planning_session", "workshop")),
]

# The kinds of contact open to a relationship at each tier: everything up to that tier.
KINDS_UNLOCKED = [
    tuple(kind for _, group in KINDS_BY_LEVEL[: index + 1] for kind in group)
    for index in range(len(KINDS_BY_LEVEL))
]


@dataclass
class DemoContact:
    key: int
    name: str
    title: str
    role: str
    is_champion: bool
    left_on: datetime.date | None = None
    joined_on: datetime.date | None = None  # None: known from the start


@dataclass
class DemoInteraction:
    occurred_on: datetime.date
    kind: str
    initiated_by_client: bool
    sentiment: int | None
    notes: str
    participant_keys: list[int]
    signal_slugs: list[str]


@dataclass
class DemoAssessment:
    assessed_on: datetime.date
    relevance: int
    client_perceived_stage: str


@dataclass
class DemoAccount:
    number: int
    story: str
    name: str
    industry: str
    owner_index: int
    annual_revenue: Decimal
    partnership_potential: str
    mission: str
    pressures: list[str]
    started_on: datetime.date
    lost_on: datetime.date | None = None
    lost_note: str = ""
    lost_reason: str = ""
    objective: str = ""
    next_step: str = ""
    next_step_due: datetime.date | None = None
    contacts: list[DemoContact] = field(default_factory=list)
    interactions: list[DemoInteraction] = field(default_factory=list)
    assessments: list[DemoAssessment] = field(default_factory=list)

    @property
    def external_id(self) -> str:
        return f"demo-{self.number:05d}"


@dataclass
class DemoPortfolio:
    as_of: datetime.date
    manager_count: int
    accounts: list[DemoAccount]


def manager_count_for(account_count: int) -> int:
    """About fifteen accounts per manager, at least four managers."""
    return max(4, math.ceil(account_count / 15))


def build_portfolio(
    *, accounts: int, years: float, seed: int, as_of: datetime.date
) -> DemoPortfolio:
    """A deterministic portfolio of `accounts` accounts with `years` of history up to `as_of`."""
    rng = random.Random(seed)
    stories = _story_mix(rng, accounts)
    managers = manager_count_for(accounts)
    used_names: set[str] = set()
    history_days = max(60, int(years * 365))
    built = [
        _build_account(rng, number, story, used_names, managers, as_of, history_days)
        for number, story in enumerate(stories, start=1)
    ]
    _make_anchor_dominant(built)
    _plan(random.Random(f"plan-{seed}"), built, as_of)
    return DemoPortfolio(as_of=as_of, manager_count=managers, accounts=built)


def _plan(rng: random.Random, accounts: list[DemoAccount], as_of: datetime.date) -> None:
    """Our objective and next step for most active accounts; some steps already overdue, some
    accounts with no step at all. A separate generator: the histories stay as they were."""
    for account in accounts:
        if account.lost_on is not None:
            continue
        if account.partnership_potential == "regular":
            account.objective = REGULAR_OBJECTIVE
        else:
            account.objective = rng.choice(OBJECTIVES).format(industry=account.industry.lower())
        if rng.random() < 0.75:
            account.next_step = rng.choice(NEXT_STEPS)
            account.next_step_due = as_of + datetime.timedelta(days=rng.randint(-20, 45))


def _story_mix(rng: random.Random, count: int) -> list[str]:
    """About one account in seven lost, taking the decline stories in turn; every kept story
    once before the weights take over, so even a small demo tells them all."""
    lost = max(len(LOST_STORIES), round(count * LOST_SHARE)) if count >= len(STORIES) else 0
    mix = [LOST_STORIES[n % len(LOST_STORIES)] for n in range(lost)]
    if count < len(STORIES):
        mix = list(STORIES)[:count]
    else:
        mix += KEPT_STORIES
        names, weights = zip(*STORY_WEIGHTS.items(), strict=True)
        mix += rng.choices(names, weights=weights, k=max(0, count - len(mix)))
    rng.shuffle(mix)
    return mix


def _company_name(rng: random.Random, industry: str, used: set[str]) -> str:
    name = f"{rng.choice(NAME_FIRST)} {rng.choice(INDUSTRY_NAME_WORDS[industry])}"
    name += rng.choice(NAME_SUFFIX)
    if name in used:
        name = f"{name} ({len(used) + 1})"
    used.add(name)
    return name


def _person_name(rng: random.Random) -> str:
    return f"{rng.choice(PERSON_FIRST)} {rng.choice(PERSON_LAST)}"


def _s_curve(t: float, lo: float, hi: float, mid: float, steep: float = 10.0) -> float:
    return lo + (hi - lo) / (1 + math.exp(-steep * (t - mid)))


# Where each lost story's relationship had climbed to before its trouble began.
LOST_PEAKS = {
    "lost_relevance": 3.1,
    "lost_silence": 2.6,
    "lost_retender": 2.8,
    "lost_delivery": 2.9,
    "lost_champion": 2.9,
    "lost_price": 2.3,
}
# ... and what it shows once the trouble has begun.
LOST_FLOORS = {
    "lost_relevance": 1.6,
    "lost_silence": 2.6,
    "lost_retender": 2.0,
    "lost_delivery": 2.2,
    "lost_champion": 1.7,
    "lost_price": 1.5,
}


def _level(story: str, t: float, turn: float, rng_offset: float) -> float:
    """Where the relationship stands at fraction `t` of its life, 1.0 (vendor) to 4.0
    (partner); its trouble, if the story has one, begins at fraction `turn`."""
    if story == "climber":
        return _s_curve(t, 1.0, 3.95, 0.5 + rng_offset)
    if story == "anchor":
        return _s_curve(t, 2.6, 3.95, 0.3)
    if story == "plateau_fading":
        return _s_curve(t, 1.0, 3.1, 0.25)
    if story == "transactional":
        return 1.2
    if story == "steady_confidant":
        return _s_curve(t, 1.3, 2.2, 0.3)
    if story in ("recovery", "retender_won", "champion_replaced", "quiet_spell"):
        climbed = _s_curve(t, 1.0, 2.9, 0.3 + rng_offset)
        # The rough patch costs a little depth for a while, then the climb goes on.
        return climbed - 0.6 if turn <= t < turn + 0.06 else climbed
    if story in LOST_PEAKS:
        peak = _s_curve(t, 1.0, LOST_PEAKS[story], 0.3 + rng_offset)
        if t < turn:
            return peak
        progress = (t - turn) / max(1e-9, 1 - turn)
        return peak + (LOST_FLOORS[story] - peak) * min(1.0, 2 * progress)
    raise ValueError(f"unknown story {story}")


def _engagement(story: str, t: float, turn: float) -> float:
    """How often we are in contact relative to the account's usual rhythm (1.0 = usual)."""
    progress = (t - turn) / max(1e-9, 1 - turn)
    if story == "plateau_fading" and t > 0.6:
        return max(0.3, 1 - (t - 0.6) * 1.8)
    if t < turn:
        return 1.0
    if story == "lost_silence":
        return 0.05  # the client stops answering
    if story == "lost_relevance":
        return max(0.4, 1 - 0.6 * progress)
    if story == "lost_champion":
        return 0.6
    return 1.0


def _relevance(story: str, t: float, turn: float) -> int:
    """Business relevance of our offering to the client, 1-5 (essay 000)."""
    if story == "plateau_fading":
        return 5 if t < 0.45 else max(1, round(5 - (t - 0.45) / 0.55 * 3.5))
    if story == "lost_relevance":
        if t < turn:
            return 4 if t < 0.3 else 5
        return max(1, round(4 - 4 * (t - turn) / max(1e-9, 1 - turn)))
    if story == "transactional":
        return 3
    if story in ("climber", "anchor"):
        return 4 if t < 0.3 else 5
    return 4


# Story events: (how far into the trouble, 0 at its start and 1 at the end of the account's
# history; signals observed then).
EVENTS: dict[str, list[tuple[float, tuple[str, ...]]]] = {
    "recovery": [
        (0.0, ("delivery_miss",)),
        (0.04, ("issue_resolved_jointly",)),
        (0.1, ("delivered_as_promised",)),
        (0.2, ("solved_underlying_problem",)),
    ],
    "retender_won": [
        (0.0, ("retender_or_competitive_bid",)),
        (0.15, ("delivered_as_promised", "repeat_business")),
    ],
    "champion_replaced": [(0.0, ("champion_left",))],
    "plateau_fading": [(0.5, ("price_pressure",))],
    "lost_relevance": [(0.6, ("price_pressure",))],
    "lost_retender": [
        (0.0, ("price_pressure",)),
        (0.1, ("retender_or_competitive_bid",)),
        (0.35, ("competitor_invited",)),
    ],
    "lost_delivery": [
        (0.0, ("delivery_miss",)),
        (0.15, ("delivery_miss",)),
        (0.2, ("escalation",)),
        (0.4, ("delivery_miss",)),
        (0.6, ("delivery_miss", "escalation")),
    ],
    "lost_champion": [(0.0, ("champion_left",)), (0.6, ("competitor_invited",))],
    "lost_price": [
        *[(at, ("price_pressure",)) for at in (0.0, 0.15, 0.3, 0.45, 0.6)],
        (0.75, ("retender_or_competitive_bid",)),
    ],
}
ROUGH_PATCHES = ("recovery", "retender_won", "champion_replaced", "quiet_spell")
# The reason recorded for each loss.
LOST_BECAUSE = {
    "lost_relevance": LOST_REASONS[1],
    "lost_silence": LOST_REASONS[4],
    "lost_retender": LOST_REASONS[0],
    "lost_delivery": LOST_REASONS[3],
    "lost_champion": LOST_REASONS[2],
    "lost_price": LOST_REASONS[5],
}


# The reason picked from the app's short list for each note above.
LOST_REASON_OF_STORY = {
    "lost_relevance": "no_longer_needed",
    "lost_silence": "relationship",
    "lost_retender": "competitor",
    "lost_delivery": "delivery",
    "lost_champion": "relationship",
    "lost_price": "price",
}


def _build_account(
    rng: random.Random,
    number: int,
    story: str,
    used_names: set[str],
    managers: int,
    as_of: datetime.date,
    history_days: int,
) -> DemoAccount:
    industry = rng.choice(INDUSTRIES)
    name = _company_name(rng, industry, used_names)
    # Most accounts predate the window; some were won part-way through it.
    start_offset = 0 if rng.random() < 0.6 else rng.randint(0, history_days // 3)
    started_on = as_of - datetime.timedelta(days=history_days - start_offset)
    ended_on = as_of
    lost_on = None
    life_days = history_days - start_offset
    turn = rng.uniform(0.55, 0.85) if story in ROUGH_PATCHES else 1.0
    if story == "retender_won":
        # Won about two years ago; the account has grown again since.
        turn = max(0.25, 1 - rng.randint(80 * 7, 100 * 7) / life_days)
    if story in LOST_STORIES:
        # Lost one to 24 months ago, after five to nine months of trouble, once the account
        # had had time to climb.
        months_ago = rng.randint(1, max(2, min(24, history_days // 60)))
        lost_on = as_of - datetime.timedelta(days=30 * months_ago)
        lost_on = min(as_of, max(lost_on, started_on + datetime.timedelta(days=400)))
        ended_on = lost_on
        life_days = max(1, (lost_on - started_on).days)
        turn = max(0.3, 1 - rng.randint(150, 260) / life_days)
    account = DemoAccount(
        number=number,
        story=story,
        name=name,
        industry=industry,
        owner_index=rng.randrange(managers),
        annual_revenue=_revenue(rng, story),
        partnership_potential=_potential(rng, story),
        mission=rng.choice(MISSIONS).format(industry=industry.lower()),
        pressures=rng.sample(PRESSURES, rng.randint(1, 3)),
        started_on=started_on,
        lost_on=lost_on,
        lost_note=LOST_BECAUSE.get(story, ""),
        lost_reason=LOST_REASON_OF_STORY.get(story, ""),
    )
    account.contacts = _contacts(rng, story)
    _fill_history(rng, account, ended_on, turn)
    return account


def _revenue(rng: random.Random, story: str) -> Decimal:
    base = rng.lognormvariate(math.log(400_000), 0.8)
    if story in ("climber", "plateau_fading"):
        base *= 1.6
    if story == "transactional":
        base *= 0.5
    return Decimal(int(round(base, -3)))


def _potential(rng: random.Random, story: str) -> str:
    if story in ("climber", "anchor"):
        return "strategic"
    if story == "transactional":
        return "regular"
    if story == "steady_confidant":
        return rng.choice(["could_partner", "regular", "regular", "unknown"])
    return rng.choice(["could_partner", "regular", "unknown", "strategic"])


ROLES = ["decision_maker", "executive_sponsor", "influencer", "user", "user", "influencer"]


def _contact(rng: random.Random, key: int, role: str, *, champion: bool) -> DemoContact:
    return DemoContact(
        key=key,
        name=_person_name(rng),
        title=rng.choice(TITLES[role]),
        role=role,
        is_champion=champion,
    )


def _contacts(rng: random.Random, story: str) -> list[DemoContact]:
    count = 1 if story == "transactional" and rng.random() < 0.6 else rng.randint(3, 6)
    # The first contact argues our case, except in the most transactional accounts.
    return [
        _contact(rng, key, ROLES[key], champion=key == 0 and story != "transactional")
        for key in range(count)
    ]


def _fill_history(
    rng: random.Random, account: DemoAccount, ended_on: datetime.date, turn: float
) -> None:
    story = account.story
    life_days = max(1, (ended_on - account.started_on).days)
    usual_cadence = rng.uniform(4, 11) if story != "transactional" else rng.uniform(14, 28)
    curve_offset = rng.uniform(-0.1, 0.1)
    pending_events = list(EVENTS.get(story, []))
    turn_on = account.started_on + datetime.timedelta(days=int(life_days * turn))

    if story in ("lost_champion", "champion_replaced"):
        account.contacts[0].left_on = turn_on
    if story == "champion_replaced":
        # Someone else takes up our case a month later.
        successor = _contact(rng, len(account.contacts), "decision_maker", champion=True)
        successor.joined_on = turn_on + datetime.timedelta(days=30)
        account.contacts.append(successor)

    day = rng.randint(0, 10)
    next_assessment = rng.randint(0, 45)
    while day <= life_days:
        date = account.started_on + datetime.timedelta(days=day)
        t = day / life_days
        level = _level(story, t, turn, curve_offset)

        if next_assessment <= day:  # about once a quarter, at a contact
            account.assessments.append(_assessment(rng, account, date, t, turn, level))
            next_assessment = max(next_assessment, day - 45) + rng.randint(80, 100)

        signals = _signals_for(rng, level)
        progress = (t - turn) / max(1e-9, 1 - turn)
        while pending_events and pending_events[0][0] <= progress:
            signals += list(pending_events.pop(0)[1])
        account.interactions.append(_interaction(rng, account, date, level, signals))

        cadence = usual_cadence / _engagement(story, t, turn)
        step = max(1, round(rng.gauss(cadence, cadence / 4)))
        if story == "quiet_spell" and day < life_days * turn <= day + step:
            step += round(usual_cadence)  # a holiday: one contact skipped
        day += step


def _pick(rng: random.Random, options: Sequence[T]) -> T:
    # rng.choice() costs several calls per draw; at a million draws this one is cheaper.
    return options[int(rng.random() * len(options))]


def _tier_index(level: float) -> int:
    return sum(1 for threshold, _ in POSITIVE_TIERS if level >= threshold) - 1


def _signals_for(rng: random.Random, level: float) -> list[str]:
    signals = []
    if rng.random() < 0.55:
        highest = _tier_index(level)
        # Favour the highest unlocked tier: that is the evidence that defines the stage.
        tier = highest if rng.random() < 0.5 else int(rng.random() * (highest + 1))
        signals.append(_pick(rng, POSITIVE_TIERS[tier][1]))
    if rng.random() < BACKGROUND_SLIP:
        signals.append(_pick(rng, BACKGROUND_NEGATIVES))
    return signals


def _interaction(
    rng: random.Random,
    account: DemoAccount,
    date: datetime.date,
    level: float,
    signals: list[str],
) -> DemoInteraction:
    kind = _pick(rng, KINDS_UNLOCKED[_tier_index(level)])
    present = [
        c
        for c in account.contacts
        if (c.left_on is None or c.left_on > date) and (c.joined_on is None or c.joined_on <= date)
    ]
    wanted = min(len(present), _pick(rng, (1, 1, 2, 3)))
    participants = present if wanted == len(present) else rng.sample(present, wanted)
    negative = any(slug in NEGATIVE_SLUGS for slug in signals)
    sentiment = None
    if rng.random() < 0.4 or negative:
        mood = (level - 2.2) * 0.8 - (2.0 if negative else 0.0)
        sentiment = max(-2, min(2, round(rng.gauss(mood, 0.7))))
    return DemoInteraction(
        occurred_on=date,
        kind=kind,
        initiated_by_client=rng.random() < 0.1 + level * 0.12,
        sentiment=sentiment,
        notes=_pick(rng, NOTES[kind]),
        participant_keys=sorted(c.key for c in participants),
        signal_slugs=signals,
    )


NEGATIVE_SLUGS = frozenset(
    {
        "delivery_miss",
        "price_pressure",
        "retender_or_competitive_bid",
        "competitor_invited",
        "escalation",
        "champion_left",
        "excluded_from_planning",
    }
)
STAGES_BY_RANK = list(StageChoice)  # declared from vendor up


def _assessment(
    rng: random.Random,
    account: DemoAccount,
    date: datetime.date,
    t: float,
    turn: float,
    level: float,
) -> DemoAssessment:
    perceived = ""
    if rng.random() < 0.4:
        seen_level = level
        # Once a client starts shopping around it sees us lower than we see ourselves (004).
        if account.story in ("lost_retender", "lost_price") and t > turn:
            seen_level -= 1
        perceived = STAGES_BY_RANK[max(0, min(3, round(seen_level) - 1))].value
    return DemoAssessment(
        assessed_on=date,
        relevance=_relevance(account.story, t, turn),
        client_perceived_stage=perceived,
    )


def _make_anchor_dominant(accounts: list[DemoAccount]) -> None:
    """Give the anchor about 30% of total revenue: profitable, but precarious (essay 002)."""
    anchors = [a for a in accounts if a.story == "anchor"]
    if not anchors or len(accounts) < 2:
        return
    others = sum(a.annual_revenue for a in accounts if a.story != "anchor")
    anchors[0].annual_revenue = Decimal(int(round(others * Decimal("0.43"), -3)))
