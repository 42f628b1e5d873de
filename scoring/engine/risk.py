"""Decline risk: named drivers that combine into a 0-100 risk (docs/model.md, Decline risk).

The curve does not flatten at the top: risk comes from silence and fading relevance as much as
from bad events. Each driver is measured on its own scale and reaches at most its weight in
the profile. Drivers combine like independent chances of losing the account,

    risk = 100 * (1 - (1 - a/100) * (1 - b/100) * ...),

so any one decisive driver carries the account into the high band by itself, several weak
ones add up, and the total never passes 100. The risk is then shared out among the drivers in
proportion to -log(1 - driver/100), the part of the product each one makes, so the drivers
shown always add up to the risk shown.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scoring.engine.stages import Stage
from scoring.engine.types import RiskDriver

MIN_RHYTHM_DAYS = 7  # a rhythm tighter than weekly would make a week's holiday look like silence
DEFAULT_RHYTHM_DAYS = 30  # until there are enough contacts to know the account's own rhythm
# The few points of positive evidence a steady account gains and loses from week to week:
# momentum counts only a fall beyond them.
MOMENTUM_NOISE = 5.0
MAX_SHARE = 0.999_999  # a driver at 100 would make the product zero and the shares infinite


@dataclass(slots=True)
class RiskInputs:
    """What the timeline knows at the end of a week, for the risk drivers."""

    days_since_contact: int | None
    usual_gap_days: float | None
    # Points the positive evidence alone scores below its best of the momentum window: the
    # slide of a relationship left alone (0 when it is at its best).
    score_drop: float
    relevance: int | None
    relevance_fall: int  # how far relevance fell from its recent peak (0 when it did not)
    recent_negative_points: float  # other negative signals in their window, full weight
    stage: Stage
    perceived_stage: Stage | None
    recent_contacts: int | None  # distinct contacts met recently; None when no contact at all
    # Decisive signals within their window, as (slug, days ago), newest first.
    warnings: tuple[tuple[str, int], ...] = ()
    # The other negative signals in their window in words ("delivery miss twice, escalation").
    negatives_named: str = ""
    # The highest stage held in the last year: a top account slipping a stage while it falls
    # silent or loses relevance is still a top account falling.
    peak_stage: Stage | None = None


def _clip(value: float) -> float:
    return 0.0 if value < 0 else 1.0 if value > 1 else value


def _ago(days: int) -> str:
    if days < 7:
        return "this week"
    weeks = days // 7
    return f"{weeks} week{'s' if weeks > 1 else ''} ago"


_TIMES = {1: "", 2: " twice"}


def signals_in_words(slugs: Iterable[str]) -> str:
    """ "delivery miss twice, escalation": each signal once with how often it was seen, most
    frequent first (then by name), so both engines word the same window alike."""
    counts = Counter(slugs)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(
        slug.replace("_", " ") + _TIMES.get(count, f" {count} times") for slug, count in ordered
    )


# A driver's part before the drivers combine: (key, risk 0-100 alone, detail in words).
_Found = tuple[str, float, str]


def decline_risk(
    inputs: RiskInputs, params: Mapping[str, Any]
) -> tuple[float, tuple[RiskDriver, ...]]:
    """Risk 0-100 and its drivers, largest first; the drivers' points add up to the risk.

    Each driver is measured only when what it reads is there (a warning, a contact, a reading
    of relevance...): this runs every week of every account, and most drivers are quiet.
    """
    weights = params["risk_weights"]
    # The highest stage held in the last year: a top account slipping a stage is still one.
    top = inputs.peak_stage or inputs.stage
    found: list[_Found] = []
    if inputs.warnings:
        found.append(_warnings(inputs.warnings, params["warning_signals"]))
    if inputs.recent_negative_points > 0:
        found.append(_negatives(inputs.recent_negative_points, inputs.negatives_named, params))
    if inputs.days_since_contact is not None:
        silence = _silence(inputs.days_since_contact, inputs.usual_gap_days, top, params)
        if silence is not None:
            found.append(silence)
    if inputs.score_drop > MOMENTUM_NOISE:
        found.append(_momentum(inputs.score_drop, params))
    if inputs.relevance is not None:
        relevance = _relevance(inputs.relevance, inputs.relevance_fall, weights["relevance"])
        if relevance is not None:
            found.append(relevance)
    if inputs.relevance_fall > 0 and top >= Stage.CONSULTANT:  # the cheaper test first
        found.append(_plateau(top, inputs.relevance, inputs.relevance_fall, weights["plateau"]))
    if inputs.perceived_stage is not None and inputs.perceived_stage != inputs.stage:
        found.append(
            _perception_gap(inputs.perceived_stage, inputs.stage, weights["perception_gap"])
        )
    if inputs.recent_contacts is not None and 0 < inputs.recent_contacts <= 2:
        found.append(_single_threaded(inputs.recent_contacts, params))
    return combine(found)


def _warnings(warnings: tuple[tuple[str, int], ...], carried: Mapping[str, float]) -> _Found:
    """Signals that warn on their own, as (slug, days ago): each is an independent chance of
    losing the account, at the risk the profile gives it."""
    safe = math.prod(1 - carried.get(slug, 0) / 100 for slug, _ in warnings)
    return (
        "warnings",
        100 * (1 - safe),
        "; ".join(f"{slug.replace('_', ' ')} {_ago(ago)}" for slug, ago in warnings),
    )


def _negatives(points: float, named: str, params: Mapping[str, Any]) -> _Found:
    """The other negative signals of the window, `points` at full weight (> 0).

    A single mistake is a moderate risk; the second within the window makes a pattern: the
    driver rises slowly below its half points and quickly above them."""
    ratio = (points / params["negatives_half_points"]) ** 2
    return (
        "negatives",
        params["risk_weights"]["negatives"] * ratio / (1 + ratio),
        f"{named or 'negative signals'} in the last {params['negatives_window_days']} days",
    )


def _silence(
    days: int, usual_gap: float | None, top: Stage, params: Mapping[str, Any]
) -> _Found | None:
    """`days` since the last contact against the usual silence (days, or None while unknown);
    None while the silence is no longer than usual. It reaches its weight at the full ratio of
    usual silences of the `top` stage, and each further one adds as much again of the risk
    that is left."""
    usual = max(MIN_RHYTHM_DAYS, usual_gap or DEFAULT_RHYTHM_DAYS)
    missed = days / usual - 1  # usual silences beyond the first
    if missed <= 0:
        return None
    cycles = missed / (params["silence_full_ratio"][top.value] - 1)
    return (
        "silence",
        100 * (1 - (1 - params["risk_weights"]["silence"] / 100) ** cycles),
        f"no contact for {days} days; usually every {usual:.0f}",
    )


def _momentum(score_drop: float, params: Mapping[str, Any]) -> _Found:
    """Points the positive evidence alone scores below its best of the window (more than
    MOMENTUM_NOISE): the slide of a relationship left alone."""
    full = params["momentum_full_drop"]
    intensity = _clip((score_drop - MOMENTUM_NOISE) / (full - MOMENTUM_NOISE))
    return (
        "momentum",
        params["risk_weights"]["momentum"] * intensity,
        f"{score_drop:.0f} points below its best of the last {params['momentum_weeks']} weeks",
    )


def _relevance(relevance: int, fall: int, weight: float) -> _Found | None:
    """The latest reading of relevance (1-5) and how far it fell from its recent peak; None
    when that is no risk.

    Relevance 3 of 5 is no risk by itself, 1 is the whole weight; every step it fell within
    the window adds a quarter (a dip from 5 to 4 is ordinary noise)."""
    weakness = _clip((3 - relevance) / 2 + fall / 4)
    if not weakness:
        return None
    fell = f", down {fall}" if fall else ""
    return ("relevance", weight * weakness, f"business relevance {relevance} of 5{fell}")


def _plateau(top: Stage, relevance: int | None, fall: int, weight: float) -> _Found:
    """A mature account (consultant or above in the last year) whose relevance fades, with
    nothing new lifting it (docs/model.md, Decline risk).

    As for relevance, a first step down from 5 is ordinary; 3 after a fall, or two steps down,
    is the whole weight."""
    return (
        "plateau",
        weight * _clip((4 - (relevance or 4)) / 2 + fall / 4),
        f"{top.label.lower()} this year, relevance fading: time for the next offering",
    )


def _perception_gap(perceived: Stage, stage: Stage, weight: float) -> _Found:
    """The client sees another stage than the evidence gives: the whole weight two apart."""
    gap = abs(perceived.rank - stage.rank)
    return (
        "perception_gap",
        weight * _clip(gap / 2),
        f"client sees {perceived.label.lower()}, evidence says {stage.label.lower()}",
    )


def _single_threaded(contacts: int, params: Mapping[str, Any]) -> _Found:
    """Only one or two `contacts` engaged in the window: if they leave, we are out."""
    intensity = 1.0 if contacts == 1 else 0.3
    return (
        "single_threaded",
        params["risk_weights"]["single_threaded"] * intensity,
        f"only {contacts} contact{'s' if contacts > 1 else ''}"
        f" engaged in {params['contact_window_days']} days",
    )


def combine(found: list[_Found]) -> tuple[float, tuple[RiskDriver, ...]]:
    """Drivers (key, risk 0-100 alone, detail) combined as independent chances; each driver's
    part of the total is its share of -log(1 - risk/100). Largest first, zeros left out."""
    logs = [
        (key, -math.log1p(-min(points / 100, MAX_SHARE)), detail) for key, points, detail in found
    ]
    total_log = sum(log for _, log, _ in logs)
    if total_log <= 0:
        return 0.0, ()
    risk = 100 * -math.expm1(-total_log)
    drivers = [
        RiskDriver(key, risk * log / total_log, detail) for key, log, detail in logs if log > 0
    ]
    drivers.sort(key=_points, reverse=True)
    return risk, tuple(drivers)


_points = operator.attrgetter("points")
