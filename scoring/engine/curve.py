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

from scoring.engine.profile import Profile
from scoring.engine.risk import decline_risk
from scoring.engine.stages import Stage, StageGaps, decide_stage
from scoring.engine.types import Contribution, Evidence, WeekPoint
from scoring.engine.windows import RiskWindows

ENGAGEMENT = "engagement"
FLOOR = "floor"  # what keeps the score at 0 when negative evidence outweighs the positive
TOP_SIGNALS = 3  # signals named per contribution
_EPSILON = 1e-6  # evidence points below this are gone
_GATED = (Stage.CONFIDANT, Stage.CONSULTANT, Stage.VIRTUAL_PARTNER)


def week_ending(day: datetime.date) -> datetime.date:
    """The Sunday that closes the week holding `day` (weeks run Monday to Sunday)."""
    return day + datetime.timedelta(days=6 - day.weekday())


def score_from_evidence(evidence_points: float, scale: float) -> float:
    """Score 0-100 for `evidence_points`: 50 at `scale` points, 75 at three times that, 90 at
    nine times; halving a top account's evidence costs it about ten points."""
    if evidence_points <= 0:
        return 0.0
    return 100.0 * evidence_points / (evidence_points + scale)


class _Bucket:
    """Decayed evidence of one kind, and which signals weigh most in it."""

    __slots__ = ("key", "sign", "half_life", "weekly_decay", "points", "weights", "top")

    def __init__(self, key: str, sign: int, half_life: float):
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


def score_timeline(
    evidence: Evidence, profile: Profile, *, as_of: datetime.date
) -> list[WeekPoint]:
    """One point per week from the week of the first evidence up to `as_of`.

    Each point closes on a Sunday; the last one is evaluated on `as_of` itself, so today's
    standing is always current. Evidence dated after `as_of` is ignored; a lost account's
    timeline ends on the day it was lost. Returns [] when there is no evidence up to then.
    """
    p = profile.params
    if evidence.lost_on is not None and evidence.lost_on < as_of:
        as_of = evidence.lost_on
    # Days are counted as ordinals (plain ints) from here on: this loop runs for every week of
    # every account, and date arithmetic would dominate it.
    today = as_of.toordinal()
    signals = sorted(
        (s.observed_on.toordinal(), s.slug, s.category, s.polarity)
        for s in evidence.signals
        if s.observed_on <= as_of
    )
    interaction_weights = p["interaction_weights"]
    client_multiplier = p["client_initiated_multiplier"]
    interactions = sorted(
        (
            i.occurred_on.toordinal(),
            interaction_weights.get(i.kind, 0.0)
            * (client_multiplier if i.initiated_by_client else 1.0),
            i.contact_ids,
        )
        for i in evidence.interactions
        if i.occurred_on <= as_of
    )
    assessments = sorted(
        (
            (a.assessed_on.toordinal(), a.relevance, a.client_perceived_stage)
            for a in evidence.assessments
            if a.assessed_on <= as_of
        ),
        key=lambda a: a[0],
    )
    firsts = [events[0][0] for events in (signals, interactions, assessments) if events]
    if not firsts:
        return []
    origin = min(firsts)

    # Buckets: contact itself, then each category's positive and negative evidence. Only
    # buckets holding evidence are visited each week.
    half_lives = p["half_life_days"]
    engagement = _Bucket(ENGAGEMENT, 1, p["interaction_half_life_days"])
    buckets: dict[tuple[str, int], _Bucket] = {}
    active: list[_Bucket] = []

    thresholds = {stage: profile.threshold(stage) for stage in Stage}
    hysteresis = p["hysteresis"]
    gates = {stage: list(p["gates"][stage.value]) for stage in _GATED}
    gate_windows = {stage: p["gate_window_days"][stage.value] for stage in _GATED}
    tolerance = {stage: p["tolerance"][stage.value] for stage in Stage}
    scale = p["score_scale"]
    # The latest defining signal of each gated stage; only positive signals open a gate, and
    # a stage with no defining signals in the profile has no gate.
    gate_of_slug: dict[str, list[Stage]] = {}
    for target in _GATED:
        for slug in gates[target]:
            gate_of_slug.setdefault(slug, []).append(target)
    gate_seen: dict[Stage, int] = dict.fromkeys(_GATED, -(10**9))
    gap_words = StageGaps(thresholds=thresholds, gates=gates, gate_window_days=gate_windows)

    windows = RiskWindows(p)

    timeline: list[WeekPoint] = []
    stage = Stage.VENDOR
    next_signal = next_interaction = next_assessment = 0
    week_end = week_ending(datetime.date.fromordinal(origin)).toordinal()
    previous_day = origin
    while True:
        day = week_end if week_end < today else today
        step = day - previous_day
        if step == 7:
            for bucket in active:
                bucket.points *= bucket.weekly_decay
        elif step:
            for bucket in active:
                bucket.points *= 0.5 ** (step / bucket.half_life)

        # The week's new evidence, each piece already faded for its days before `day`.
        charge = tolerance[stage]  # the stage held when the week began
        while next_signal < len(signals) and signals[next_signal][0] <= day:
            on, slug, category, polarity = signals[next_signal]
            next_signal += 1
            sign = 1 if polarity > 0 else -1
            weight = profile.signal_weight(slug)
            # What the client did counts for the risk whatever its weight in the score: a
            # positive signal is a day we were in touch, a negative one may warn.
            if sign > 0:
                windows.contact(on)
                windows.positive(on, slug)
            else:
                windows.negative(on, slug, weight)
            if weight <= 0:
                continue
            bucket = buckets.get((category, sign))
            if bucket is None:
                half_life = (
                    half_lives.get(category, 180) if sign > 0 else p["negative_half_life_days"]
                )
                bucket = buckets[category, sign] = _Bucket(category, sign, half_life)
            if sign > 0:
                bucket.add(slug, weight, day - on, on - origin)
                for target in gate_of_slug.get(slug, ()):
                    gate_seen[target] = on
            elif charge > 0:
                bucket.add(slug, weight * charge, day - on, on - origin)
            if bucket.points > _EPSILON and bucket not in active:
                active.append(bucket)
        while next_interaction < len(interactions) and interactions[next_interaction][0] <= day:
            on, weight, contact_ids = interactions[next_interaction]
            next_interaction += 1
            if weight > 0:
                engagement.add(None, weight, day - on, 0)
                if engagement not in active:
                    active.append(engagement)
            windows.contact(on)
            if contact_ids:
                windows.engaged_contacts(on, contact_ids)
        while next_assessment < len(assessments) and assessments[next_assessment][0] <= day:
            on, relevance, perceived_stage = assessments[next_assessment]
            next_assessment += 1
            windows.assessment(on, relevance, perceived_stage)

        # Position.
        evidence_points = positive_points = 0.0
        faded = False
        for bucket in active:
            if bucket.points > _EPSILON:
                evidence_points += bucket.sign * bucket.points
                if bucket.sign > 0:
                    positive_points += bucket.points
            else:
                faded = True
        if faded:
            for bucket in [b for b in active if b.points <= _EPSILON]:
                bucket.points = 0.0
                active.remove(bucket)
        score = score_from_evidence(evidence_points, scale)
        gate_open = {
            target: not gates[target] or day - seen < gate_windows[target]
            for target, seen in gate_seen.items()
        }
        stage = decide_stage(
            previous=stage,
            score=score,
            thresholds=thresholds,
            hysteresis=hysteresis,
            gate_open=gate_open,
        )

        # Decline risk. What the positive evidence alone would score: its fall is the slide of
        # a relationship left alone (the momentum driver); bad news has drivers of its own.
        trust_built = score_from_evidence(positive_points, scale)
        risk, drivers = decline_risk(windows.close(day, stage=stage, trust_built=trust_built), p)

        gap = gap_words(stage, score, gate_open)
        timeline.append(
            WeekPoint(
                datetime.date.fromordinal(week_end),
                score,
                stage,
                risk,
                _contributions(active, score, evidence_points, scale),
                drivers,
                gap,
                evidence_points,
            )
        )
        if day >= today:
            return timeline
        previous_day = day
        week_end += 7


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
