"""Decline risk: named drivers that add up to a 0-100 risk (DOMAIN.md §5).

The curve does not flatten at the top: risk comes from silence and fading relevance as much as
from bad events, so each driver is measured, weighted by the profile and shown.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

from scoring.engine.stages import Stage
from scoring.engine.types import RiskDriver

MIN_RHYTHM_DAYS = 7  # a rhythm tighter than weekly would make a week's holiday look like silence
DEFAULT_RHYTHM_DAYS = 30  # until there are enough contacts to know the account's own rhythm


@dataclass(slots=True)
class RiskInputs:
    """What the timeline knows at the end of a week, for the risk drivers."""

    days_since_contact: int | None
    usual_gap_days: float | None
    score_drop: float  # points lost over the momentum window (negative when rising)
    relevance: int | None
    relevance_fall: int  # how far relevance fell from its recent peak (0 when it did not)
    recent_negative_points: float
    stage: Stage
    perceived_stage: Stage | None
    recent_contacts: int | None  # distinct contacts met recently; None when no contact at all


def _clip(value: float) -> float:
    return 0.0 if value < 0 else 1.0 if value > 1 else value


def decline_risk(inputs: RiskInputs, params) -> tuple[float, tuple[RiskDriver, ...]]:
    """Risk 0-100 and its drivers, largest first; the drivers' points add up to the risk."""
    weights = params["risk_weights"]
    found: list[tuple[str, float, str]] = []

    if inputs.days_since_contact is not None:
        usual = max(MIN_RHYTHM_DAYS, inputs.usual_gap_days or DEFAULT_RHYTHM_DAYS)
        ratio = inputs.days_since_contact / usual
        intensity = _clip((ratio - 1) / (params["silence_full_ratio"] - 1))
        if intensity:
            found.append(
                (
                    "silence",
                    weights["silence"] * intensity,
                    f"no contact for {inputs.days_since_contact} days; usually every {usual:.0f}",
                )
            )

    if inputs.score_drop > 0:
        intensity = _clip(inputs.score_drop / params["momentum_full_drop"])
        found.append(
            (
                "momentum",
                weights["momentum"] * intensity,
                f"score down {inputs.score_drop:.0f} points in {params['momentum_weeks']} weeks",
            )
        )

    weakness = 0.0
    if inputs.relevance is not None:
        weakness = _clip(max((3 - inputs.relevance) / 2, inputs.relevance_fall / 2))
        if weakness:
            fell = f", down {inputs.relevance_fall}" if inputs.relevance_fall else ""
            found.append(
                (
                    "relevance",
                    weights["relevance"] * weakness,
                    f"business relevance {inputs.relevance} of 5{fell}",
                )
            )

    if inputs.recent_negative_points > 0:
        intensity = _clip(inputs.recent_negative_points / params["negatives_full_points"])
        found.append(
            (
                "negatives",
                weights["negatives"] * intensity,
                f"negative signals in the last {params['negatives_window_days']} days",
            )
        )

    # A mature account whose relevance fades, with nothing new lifting it (DOMAIN.md §1).
    if inputs.stage >= Stage.CONSULTANT and inputs.relevance is not None:
        plateau = _clip(max(inputs.relevance_fall / 2, (4 - inputs.relevance) / 3))
        if plateau:
            found.append(
                (
                    "plateau",
                    weights["plateau"] * plateau,
                    f"at {inputs.stage.label.lower()} with fading relevance: "
                    "time for the next offering",
                )
            )

    if inputs.perceived_stage is not None and inputs.perceived_stage != inputs.stage:
        gap = abs(inputs.perceived_stage.rank - inputs.stage.rank)
        found.append(
            (
                "perception_gap",
                weights["perception_gap"] * _clip(gap / 2),
                f"client sees {inputs.perceived_stage.label.lower()}, evidence says "
                f"{inputs.stage.label.lower()}",
            )
        )

    if inputs.recent_contacts is not None and 0 < inputs.recent_contacts <= 2:
        intensity = 1.0 if inputs.recent_contacts == 1 else 0.3
        found.append(
            (
                "single_threaded",
                weights["single_threaded"] * intensity,
                f"only {inputs.recent_contacts} contact{'s' if inputs.recent_contacts > 1 else ''}"
                f" engaged in {params['contact_window_days']} days",
            )
        )

    if not found:
        return 0.0, ()
    total = 0.0
    for _, points, _ in found:
        total += points
    scale = 100 / total if total > 100 else 1.0
    found.sort(key=_points, reverse=True)
    drivers = tuple(
        RiskDriver(key, points * scale, detail) for key, points, detail in found if points > 0
    )
    return min(100.0, total * scale), drivers


_points = operator.itemgetter(1)
