"""The four positions on the relationship S-curve (docs/model.md, Position: the score and
the stage).

A relationship climbs from vendor to virtual partner through delivered performance. Essay 004
describes the same climb on a coarser ladder (supplier, supplier of choice, partner); each
stage carries that label too, so pages can show both vocabularies side by side.
"""

from __future__ import annotations

import enum
import functools


@functools.total_ordering
class Stage(enum.Enum):
    """A position on the S-curve; stages compare by how far up the curve they sit."""

    VENDOR = "vendor"
    CONFIDANT = "confidant"
    CONSULTANT = "consultant"
    VIRTUAL_PARTNER = "virtual_partner"

    rank: int  # 1 for vendor up to 4 for virtual partner; set below, once the members exist

    # Members are singletons, so identity hashing is exact, and it is much faster than Enum's
    # own hash of the name (the engine keys dictionaries by stage every week of every account).
    __hash__ = object.__hash__

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def ladder_label(self) -> str:
        """The stage's name on the coarser supplier ladder of essay 004."""
        return _LADDER_LABELS[self]

    @property
    def next(self) -> Stage | None:
        """The stage above this one, or None at the top of the curve."""
        return _ORDER[self.rank] if self.rank < len(_ORDER) else None

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank < other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank >= other.rank

    @classmethod
    def ranked(cls, rank: int) -> Stage:
        """The stage of `rank` (1 vendor .. 4 virtual partner)."""
        return _ORDER[rank - 1]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(stage.value, stage.label) for stage in _ORDER]


_ORDER = [Stage.VENDOR, Stage.CONFIDANT, Stage.CONSULTANT, Stage.VIRTUAL_PARTNER]
for _rank, _stage in enumerate(_ORDER, start=1):
    _stage.rank = _rank

_GATED_DOWN = (Stage.VIRTUAL_PARTNER, Stage.CONSULTANT, Stage.CONFIDANT)  # highest first

_LABELS = {
    Stage.VENDOR: "Vendor",
    Stage.CONFIDANT: "Confidant",
    Stage.CONSULTANT: "Consultant",
    Stage.VIRTUAL_PARTNER: "Virtual partner",
}

_LADDER_LABELS = {
    Stage.VENDOR: "Supplier",
    Stage.CONFIDANT: "Supplier of choice",
    Stage.CONSULTANT: "Partner",
    Stage.VIRTUAL_PARTNER: "Partner",
}


def _window_words(days: int) -> str:
    months = round(days / 30.4)
    return f"{days} days" if months < 2 else f"{months} months"


def decide_stage(
    *,
    previous: Stage,
    score: float,
    thresholds: dict[Stage, float],
    hysteresis: float,
    gate_open: dict[Stage, bool],
) -> Stage:
    """The highest stage whose threshold the score meets and whose gate is open.

    A stage already held is kept until the score falls `hysteresis` points below its
    threshold, so a score wobbling around a threshold does not flip the stage back and forth.
    The decision is monotone: a higher score, an open gate or a higher previous stage never
    gives a lower stage.
    """
    # This runs every week of every account: the stages are looked up once, in _GATED_DOWN,
    # and compared by rank rather than through Stage.__ge__.
    for stage in _GATED_DOWN:
        if not gate_open[stage]:
            continue
        needed = thresholds[stage] - (hysteresis if previous.rank >= stage.rank else 0)
        if score >= needed:
            return stage
    return Stage.VENDOR


def next_stage_gap(
    *,
    stage: Stage,
    score: float,
    thresholds: dict[Stage, float],
    gate_open: dict[Stage, bool],
    gates: dict[Stage, list[str]],
    gate_window_days: dict[Stage, int],
) -> str:
    """What the account lacks for the next stage, in words ("" at the top of the curve)."""
    target = stage.next
    if target is None:
        return ""
    missing = []
    if not gate_open[target]:
        signals = " or ".join(gates[target])
        article = "an" if signals[:1] in "aeiou" else "a"
        missing.append(f"{article} {signals} in the last {_window_words(gate_window_days[target])}")
    if score < thresholds[target]:
        missing.append(
            f"{thresholds[target] - score:.0f} more points (score {score:.0f} of "
            f"{thresholds[target]:.0f})"
        )
    return f"{target.label.lower()} needs " + " and ".join(missing)


class StageGaps:
    """`next_stage_gap` for one profile, with each wording built once: the same few sentences
    come back week after week and account after account."""

    __slots__ = ("thresholds", "gates", "gate_window_days", "_words", "_by_gates")

    def __init__(
        self,
        *,
        thresholds: dict[Stage, float],
        gates: dict[Stage, list[str]],
        gate_window_days: dict[Stage, int],
    ):
        self.thresholds = thresholds
        self.gates = gates
        self.gate_window_days = gate_window_days
        self._words: dict[tuple[object, ...], str] = {}  # (stage, score, *gates open)
        self._by_gates: dict[tuple[Stage, int, tuple[bool, ...]], str] = {}

    def __call__(self, stage: Stage, score: float, gate_open: dict[Stage, bool]) -> str:
        """What the account lacks for the next stage, at `score` rounded as shown."""
        shown = round(score)
        key = (stage, shown, *gate_open.values())
        words = self._words.get(key)
        if words is None:
            words = self._words[key] = next_stage_gap(
                stage=stage,
                score=shown,
                thresholds=self.thresholds,
                gate_open=gate_open,
                gates=self.gates,
                gate_window_days=self.gate_window_days,
            )
        return words

    def for_gates(self, stage: Stage, score: float, gates_open: tuple[bool, ...]) -> str:
        """The same, with whether each gated stage is open given in the order of `gates`
        (what the batch engine has at hand, without a mapping built for every account)."""
        key = (stage, round(score), gates_open)
        words = self._by_gates.get(key)
        if words is None:
            gate_open = dict(zip(self.gates, gates_open, strict=True))
            words = self._by_gates[key] = self(stage, score, gate_open)
        return words
