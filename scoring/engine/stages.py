"""The four positions on the relationship S-curve (DOMAIN.md §1).

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

    @property
    def rank(self) -> int:
        """1 for vendor up to 4 for virtual partner."""
        return _ORDER.index(self) + 1

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

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(stage.value, stage.label) for stage in _ORDER]


_ORDER = [Stage.VENDOR, Stage.CONFIDANT, Stage.CONSULTANT, Stage.VIRTUAL_PARTNER]

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
