"""Putting the engine's explanations into words and whole numbers for people (no Django)."""

from __future__ import annotations

import math
from collections.abc import Sequence

# How each decline-risk driver is named on pages, in exports and in messages.
RISK_DRIVER_LABELS = {
    "warnings": "Warning from the client",
    "negatives": "Failures and bad news",
    "silence": "Silence",
    "momentum": "Evidence fading",
    "relevance": "Fading relevance",
    "plateau": "Plateau",
    "perception_gap": "Perception gap",
    "single_threaded": "Single-threaded",
}


def risk_driver_label(key: str) -> str:
    """The plain name of a driver; a key from an older release is shown as it is spelt."""
    return RISK_DRIVER_LABELS.get(key) or key.replace("_", " ").capitalize()


def rounded_parts(parts: Sequence[float], total: float) -> list[int]:
    """Whole numbers, one per part, that add up to `total` rounded half up (as pages show it),
    each within 1 of its part: the largest-remainder method (parts may be negative). `parts`
    should add up to `total`, as a score's contributions and a risk's drivers do."""
    floors = [math.floor(part) for part in parts]
    short = math.floor(total + 0.5) - sum(floors)  # how many parts round up
    by_remainder = sorted(range(len(parts)), key=lambda i: floors[i] - parts[i])
    for index in by_remainder[: max(0, short)]:
        floors[index] += 1
    return floors
