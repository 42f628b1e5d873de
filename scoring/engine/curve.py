"""The weekly timeline of one account on the S-curve (docs/model.md, Position: the score and
the stage; Decline risk).

Evidence accumulates in one bucket per kind (each signal category, positive and negative, and
contact itself). Every bucket fades with its own half-life, so with nothing new the score drifts
down. The evidence points E of all buckets together give the score, 100 * E / (E + scale):
early evidence moves an account quickly and each further point counts for less, but the score
never flattens against 100, so top accounts stay apart and a fall shows at any height.

Negative evidence is charged at the tolerance of the stage the account held when it arrived:
the same mistake costs a vendor more than a consultant. Because a higher score can only keep or
raise the stage, and a higher stage only lowers that charge, adding positive evidence never
lowers a later score and adding negative evidence never raises one.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scoring.engine.profile import Profile
from scoring.engine.risk import RiskInputs, decline_risk
from scoring.engine.stages import Stage, StageGaps, decide_stage
from scoring.engine.types import Contribution, Evidence, WeekPoint
from scoring.engine.windows import RiskWindows

ENGAGEMENT = "engagement"
FLOOR = "floor"  # what keeps the score at 0 when negative evidence outweighs the positive
TOP_SIGNALS = 3  # signals named per contribution
_EPSILON = 1e-6  # evidence points below this are gone
_GATED = (Stage.CONFIDANT, Stage.CONSULTANT, Stage.VIRTUAL_PARTNER)
_NEVER = -(10**9)  # the day a gate no defining signal has opened last saw one

# The evidence as the weekly walk reads it. Days are date ordinals (plain ints) from here on:
# the walk runs for every week of every account, and date arithmetic would dominate it.
_Signal = tuple[int, str, str, int]  # (day, slug, category, polarity)
_Interaction = tuple[int, float, tuple[int, ...]]  # (day, weight, contact ids)
_Assessment = tuple[int, int, Stage | None]  # (day, relevance 1-5, client-perceived stage)


def week_ending(day: datetime.date) -> datetime.date:
    """The Sunday that closes the week holding `day` (weeks run Monday to Sunday)."""
    return day + datetime.timedelta(days=6 - day.weekday())


def first_week(evidence: Evidence, *, as_of: datetime.date) -> datetime.date | None:
    """The Sunday of the first week `score_timeline(evidence, ..., as_of=as_of)` gives (None
    when it gives none): the week of the earliest evidence up to `as_of` (or the day lost)."""
    last_day = min(as_of, evidence.lost_on or as_of)
    days = [
        *(s.observed_on for s in evidence.signals if s.observed_on <= last_day),
        *(i.occurred_on for i in evidence.interactions if i.occurred_on <= last_day),
        *(a.assessed_on for a in evidence.assessments if a.assessed_on <= last_day),
    ]
    return week_ending(min(days)) if days else None


def score_from_evidence(evidence_points: float, scale: float) -> float:
    """Score 0-100 for `evidence_points`: 50 at `scale` points, 75 at three times that, 90 at
    nine times; halving a top account's evidence costs it about ten points."""
    if evidence_points <= 0:
        return 0.0
    return 100.0 * evidence_points / (evidence_points + scale)


def score_timeline(
    evidence: Evidence,
    profile: Profile,
    *,
    as_of: datetime.date,
    from_week: datetime.date | None = None,
    explain: bool = True,
) -> list[WeekPoint]:
    """One point per week from the week of the first evidence up to `as_of`.

    Each point closes on a Sunday; the last one is evaluated on `as_of` itself, so today's
    standing is always current. Evidence dated after `as_of` is ignored; a lost account's
    timeline ends on the day it was lost. Returns [] when there is no evidence up to then.

    With `from_week` (a Sunday), only the points of that week on are returned: the weeks
    before are still walked, since each week's standing builds on the last, but neither their
    risk nor their explanation is worked out, which saves about half the work of each.

    With `explain=False` the points carry their score, stage, risk and risk drivers but no
    contributions and no words on the next stage (the backtest reads the risk alone), for
    about a sixth less work.
    """
    p = profile.params
    as_of = min(as_of, evidence.lost_on or as_of)
    arrivals = _Arrivals.of(evidence, p, as_of)
    if arrivals.first_day is None:
        return []
    rules = _StageRules.of(profile)
    walk = _Walk(arrivals, profile, rules, origin=arrivals.first_day)
    scale = p["score_scale"]
    explain_from = from_week.toordinal() if from_week else 0
    timeline: list[WeekPoint] = []
    for week_end, score, stage, gate_open, evidence_points, risk_inputs in _weeks(
        walk, rules, scale, as_of
    ):
        if week_end < explain_from:
            continue
        # The drivers combine into the decline risk.
        risk, drivers = decline_risk(risk_inputs, p)
        # The explanation: what makes up the score, and what the next stage needs.
        timeline.append(
            WeekPoint(
                datetime.date.fromordinal(week_end),
                score,
                stage,
                risk,
                _contributions(walk.active, score, evidence_points, scale) if explain else (),
                drivers,
                rules.gap_words(stage, score, gate_open) if explain else "",
                evidence_points,
            )
        )
    return timeline


def _weeks(
    walk: _Walk, rules: _StageRules, scale: float, as_of: datetime.date
) -> Iterator[tuple[int, float, Stage, dict[Stage, bool], float, RiskInputs]]:
    """Walk the weeks from the first evidence's to `as_of`'s: for each, its Sunday (ordinal),
    score, stage, which stages' gates are open, the evidence points and what the risk
    drivers read. `walk` holds the week's evidence until the next one is taken."""
    stage = Stage.VENDOR
    today = as_of.toordinal()
    first_sunday = week_ending(datetime.date.fromordinal(walk.origin)).toordinal()
    for week_end in range(first_sunday, week_ending(as_of).toordinal() + 1, 7):
        day = week_end if week_end < today else today
        # Evidence fades, and the week's new evidence arrives already faded for its days before
        # `day`; negative evidence costs the tolerance of the stage held when the week began.
        walk.fade_to(day)
        walk.take_in(day, rules.tolerance[stage])
        # The score: all evidence points together, bent by the curve.
        evidence_points, positive_points = walk.evidence_points()
        score = score_from_evidence(evidence_points, scale)
        # The stage: the highest whose threshold the score meets and whose gate is open.
        gate_open = walk.gates_open_on(day)
        stage = decide_stage(
            previous=stage,
            score=score,
            thresholds=rules.thresholds,
            hysteresis=rules.hysteresis,
            gate_open=gate_open,
        )
        # The risk drivers read their windows, closed on `day`; momentum reads the score of the
        # positive evidence alone (bad news has drivers of its own).
        trust_built = score_from_evidence(positive_points, scale)
        risk_inputs = walk.windows.close(day, stage=stage, trust_built=trust_built)
        yield week_end, score, stage, gate_open, evidence_points, risk_inputs


@dataclass(frozen=True, slots=True)
class _Arrivals:
    """One account's evidence up to its last day, each kind sorted by day."""

    signals: list[_Signal]
    # Each contact's weight is its kind's, times the client's multiplier when it asked for it.
    interactions: list[_Interaction]
    assessments: list[_Assessment]  # readings of one day keep the order they were given in

    @classmethod
    def of(
        cls, evidence: Evidence, params: Mapping[str, Any], last_day: datetime.date
    ) -> _Arrivals:
        """The evidence dated up to `last_day`, sorted (ties too, so any order gives the same
        timeline), under the interaction weights of `params`."""
        interaction_weights = params["interaction_weights"]
        client_multiplier = params["client_initiated_multiplier"]
        signals = sorted(
            (s.observed_on.toordinal(), s.slug, s.category, s.polarity)
            for s in evidence.signals
            if s.observed_on <= last_day
        )
        interactions = sorted(
            (
                i.occurred_on.toordinal(),
                interaction_weights.get(i.kind, 0.0)
                * (client_multiplier if i.initiated_by_client else 1.0),
                i.contact_ids,
            )
            for i in evidence.interactions
            if i.occurred_on <= last_day
        )
        assessments = sorted(
            (
                (a.assessed_on.toordinal(), a.relevance, a.client_perceived_stage)
                for a in evidence.assessments
                if a.assessed_on <= last_day
            ),
            key=lambda a: a[0],
        )
        return cls(signals, interactions, assessments)

    @property
    def first_day(self) -> int | None:
        """The day of the earliest evidence, or None when there is none."""
        firsts = [
            events[0][0] for events in (self.signals, self.interactions, self.assessments) if events
        ]
        return min(firsts) if firsts else None


@dataclass(frozen=True, slots=True)
class _StageRules:
    """How one profile turns a score into a stage (thresholds, hysteresis and gates), and
    what a stage makes a mistake cost."""

    thresholds: dict[Stage, float]
    hysteresis: float
    gates: dict[Stage, list[str]]  # each gated stage's defining signals (none: no gate)
    gate_windows: dict[Stage, int]  # days a defining signal keeps its stage's gate open
    # The gated stages each defining signal opens; only positive signals open a gate.
    stages_opened_by: dict[str, list[Stage]]
    gap_words: StageGaps  # what the account lacks for the next stage, in words
    tolerance: dict[Stage, float]  # what a negative signal costs the score at each stage

    @classmethod
    def of(cls, profile: Profile) -> _StageRules:
        """The rules of `profile`, worked out once per timeline rather than once a week."""
        p = profile.params
        thresholds = {stage: profile.threshold(stage) for stage in Stage}
        gates = {stage: list(p["gates"][stage.value]) for stage in _GATED}
        gate_windows = {stage: p["gate_window_days"][stage.value] for stage in _GATED}
        stages_opened_by: dict[str, list[Stage]] = {}
        for target in _GATED:
            for slug in gates[target]:
                stages_opened_by.setdefault(slug, []).append(target)
        return cls(
            thresholds=thresholds,
            hysteresis=p["hysteresis"],
            gates=gates,
            gate_windows=gate_windows,
            stages_opened_by=stages_opened_by,
            gap_words=StageGaps(thresholds=thresholds, gates=gates, gate_window_days=gate_windows),
            tolerance={stage: p["tolerance"][stage.value] for stage in Stage},
        )


class _Bucket:
    """Decayed evidence of one kind, and which signals weigh most in it."""

    __slots__ = ("key", "sign", "half_life", "weekly_decay", "points", "weights", "top")

    def __init__(self, key: str, sign: int, half_life: float) -> None:
        self.key = key
        self.sign = sign
        self.half_life = half_life
        self.weekly_decay = 0.5 ** (7 / half_life)
        self.points = 0.0
        # log2 of each signal's summed weight brought back to day 0: decay shrinks every entry
        # of a bucket alike, so this order holds until new evidence arrives.
        self.weights: dict[str, float] = {}
        self.top: tuple[str, ...] = ()

    def add(self, slug: str | None, weight: float, age_days: int, day_number: int) -> None:
        """Add `weight` points faded for `age_days`; `slug` (if any) was seen `day_number` days
        after the account's first evidence."""
        self.points += weight * 0.5 ** (age_days / self.half_life)
        if slug is None:
            return
        logged = math.log2(weight) + day_number / self.half_life
        old = self.weights.get(slug)
        if old is not None:
            high, low = (old, logged) if old > logged else (logged, old)
            logged = high + math.log2(1 + 2 ** (low - high))
        self.weights[slug] = logged
        ranked = sorted(self.weights.items(), key=lambda item: -item[1])
        self.top = tuple(slug for slug, _ in ranked[:TOP_SIGNALS])


class _Walk:
    """What one account's evidence amounts to as the weekly walk takes it in: the buckets of
    decayed evidence, when each gated stage last saw a defining signal, and the windows the
    risk drivers read. Days are date ordinals."""

    __slots__ = (
        "arrivals",
        "profile",
        "rules",
        "origin",
        "faded_to",
        "next_signal",
        "next_interaction",
        "next_assessment",
        "half_lives",
        "negative_half_life",
        "engagement",
        "buckets",
        "active",
        "gate_seen",
        "windows",
    )

    def __init__(
        self, arrivals: _Arrivals, profile: Profile, rules: _StageRules, *, origin: int
    ) -> None:
        p = profile.params
        self.arrivals = arrivals
        self.profile = profile
        self.rules = rules
        self.origin = origin  # the day of the first evidence
        self.faded_to = origin  # the day every bucket's points are faded to
        self.next_signal = self.next_interaction = self.next_assessment = 0  # not taken in yet
        # Buckets: contact itself, then each category's positive and negative evidence, made
        # as evidence of each kind arrives. Only buckets holding evidence are visited each week.
        self.half_lives: dict[str, float] = p["half_life_days"]
        self.negative_half_life: float = p["negative_half_life_days"]
        self.engagement = _Bucket(ENGAGEMENT, 1, p["interaction_half_life_days"])
        self.buckets: dict[tuple[str, int], _Bucket] = {}
        self.active: list[_Bucket] = []
        self.gate_seen: dict[Stage, int] = dict.fromkeys(_GATED, _NEVER)
        self.windows = RiskWindows(p)

    def fade_to(self, day: int) -> None:
        """Fade every bucket holding evidence to `day` (a week's step is 7 days, the last one
        may be shorter)."""
        step = day - self.faded_to
        if step == 7:
            for bucket in self.active:
                bucket.points *= bucket.weekly_decay
        elif step:
            for bucket in self.active:
                bucket.points *= 0.5 ** (step / bucket.half_life)
        self.faded_to = day

    def take_in(self, day: int, charge: float) -> None:
        """Take in the evidence dated up to `day` not taken in yet, each piece faded for its days
        before `day`; negative evidence costs the score its weight times `charge`.

        Most weeks bring little or nothing new, so each kind is looked at here first."""
        arrivals = self.arrivals
        signals, interactions, assessments = (
            arrivals.signals,
            arrivals.interactions,
            arrivals.assessments,
        )
        if self.next_signal < len(signals) and signals[self.next_signal][0] <= day:
            self._take_signals(day, charge)
        if (
            self.next_interaction < len(interactions)
            and interactions[self.next_interaction][0] <= day
        ):
            self._take_interactions(day)
        if self.next_assessment < len(assessments) and assessments[self.next_assessment][0] <= day:
            self._take_assessments(day)

    def _take_signals(self, day: int, charge: float) -> None:
        """Take in the trust signals observed up to `day`, each faded for its days before it.

        A negative signal costs the score its weight times `charge`, the tolerance of the stage
        held when the week began. What the client did counts for the risk whatever its weight
        in the score: a positive signal is a day we were in touch, a negative one may warn.
        """
        signals = self.arrivals.signals
        windows = self.windows
        index = self.next_signal
        while index < len(signals) and signals[index][0] <= day:
            on, slug, category, polarity = signals[index]
            index += 1
            weight = self.profile.signal_weight(slug)
            if polarity > 0:
                windows.contact(on)
                windows.positive(on, slug)
                if weight > 0:
                    self._add(category, 1, slug, weight, day, on)
                    for target in self.rules.stages_opened_by.get(slug, ()):
                        self.gate_seen[target] = on
            else:
                windows.negative(on, slug, weight)
                if weight > 0 and charge > 0:
                    self._add(category, -1, slug, weight * charge, day, on)
        self.next_signal = index

    def _add(self, category: str, sign: int, slug: str, weight: float, day: int, on: int) -> None:
        """Add a signal's `weight` seen `on` a day, faded to `day`, to the bucket of its category
        and sign, which is visited from then on."""
        bucket = self.buckets.get((category, sign))
        if bucket is None:
            half_life = self.half_lives.get(category, 180) if sign > 0 else self.negative_half_life
            bucket = self.buckets[category, sign] = _Bucket(category, sign, half_life)
        bucket.add(slug, weight, day - on, on - self.origin)
        if bucket.points > _EPSILON and bucket not in self.active:
            self.active.append(bucket)

    def _take_interactions(self, day: int) -> None:
        """Take in the contacts up to `day`: each adds its weight to the engagement bucket, and
        is a day in touch (with the contacts it names) for the risk windows."""
        interactions = self.arrivals.interactions
        index = self.next_interaction
        while index < len(interactions) and interactions[index][0] <= day:
            on, weight, contact_ids = interactions[index]
            index += 1
            if weight > 0:
                self.engagement.add(None, weight, day - on, 0)
                if self.engagement not in self.active:
                    self.active.append(self.engagement)
            self.windows.contact(on)
            if contact_ids:
                self.windows.engaged_contacts(on, contact_ids)
        self.next_interaction = index

    def _take_assessments(self, day: int) -> None:
        """Take in the readings of relevance (and the client's view) up to `day`: they move
        only the risk, never the score."""
        assessments = self.arrivals.assessments
        index = self.next_assessment
        while index < len(assessments) and assessments[index][0] <= day:
            on, relevance, perceived_stage = assessments[index]
            index += 1
            self.windows.assessment(on, relevance, perceived_stage)
        self.next_assessment = index

    def evidence_points(self) -> tuple[float, float]:
        """E, the evidence points of all buckets together (negative evidence counts against),
        and the points of the positive evidence alone. Buckets faded to nothing are emptied
        and no longer visited."""
        evidence_points = positive_points = 0.0
        faded = False
        for bucket in self.active:
            if bucket.points > _EPSILON:
                evidence_points += bucket.sign * bucket.points
                if bucket.sign > 0:
                    positive_points += bucket.points
            else:
                faded = True
        if faded:
            for bucket in [b for b in self.active if b.points <= _EPSILON]:
                bucket.points = 0.0
                self.active.remove(bucket)
        return evidence_points, positive_points

    def gates_open_on(self, day: int) -> dict[Stage, bool]:
        """Which gated stages the account may hold on `day`: those with a defining signal
        within their window, and those the profile gives no defining signal."""
        gates, windows = self.rules.gates, self.rules.gate_windows
        gate_open = {}  # a loop, not a comprehension: this runs every week of every account
        for target, seen in self.gate_seen.items():
            gate_open[target] = not gates[target] or day - seen < windows[target]
        return gate_open


def _contributions(
    buckets: list[_Bucket], score: float, evidence_points: float, scale: float
) -> tuple[Contribution, ...]:
    """Each bucket's share of the score, largest first; the points add up to `score`.

    The score bends as evidence grows, so every bucket is scaled by the same factor
    score / E. When negative evidence outweighs the positive, each bucket is shown at the
    curve's slope at zero and a floor entry brings the total back to 0.
    """
    factor = score / evidence_points if evidence_points > 0 else 100.0 / scale
    parts = [
        Contribution(bucket.key, bucket.sign * bucket.points * factor, bucket.top)
        for bucket in buckets
        if bucket.points > _EPSILON
    ]
    if evidence_points <= 0 and parts:
        parts.append(Contribution(FLOOR, -sum(part.points for part in parts)))
    parts.sort(key=lambda part: -abs(part.points))
    return tuple(parts)
