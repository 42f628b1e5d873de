"""Engine results as snapshot rows, ready for `insert_rows`.

A full recompute writes hundreds of thousands of rows, and encoding their JSON columns would
cost as much as computing them. The pieces of that JSON repeat endlessly (category names,
signal slugs, risk details), so each distinct piece is encoded once and rows are assembled
from the cached text; only the numbers are formatted per row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from config.bulk import JsonText
from scoring.engine import WeekPoint

SNAPSHOT_FIELDS = (
    "account",
    "profile",
    "week_ending",
    "score",
    "stage",
    "decline_risk",
    "contributions",
    "risk_drivers",
    "next_stage_gap",
    "is_latest",
)


def copy_escape(text: str) -> str:
    """`text` as a column value in COPY's text format (PostgreSQL manual, COPY, "File Formats")."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class SnapshotEncoder:
    """Turns timelines into rows; keep one per recompute so its caches pay off.

    With `for_copy`, every cached piece is also escaped for PostgreSQL's COPY text format, and
    `copy_text` gives whole rows as text lines.
    """

    def __init__(self, *, for_copy: bool = False) -> None:
        self._for_copy = for_copy
        self._json_text: dict[object, str] = {}
        self._gap_text: dict[str, str] = {}

    def _json(self, value) -> str:
        text = self._json_text.get(value)
        if text is None:
            text = json.dumps(list(value) if isinstance(value, tuple) else value)
            if self._for_copy:
                text = copy_escape(text)
            self._json_text[value] = text
        return text

    def copy_text(self, account_id: int, profile_id: int, timeline: list[WeekPoint]) -> str:
        """The rows of `rows()` as lines of COPY text, columns in SNAPSHOT_FIELDS order."""
        if not self._for_copy:
            raise ValueError("Build the encoder with for_copy=True.")
        gaps = self._gap_text
        lines = []
        for row in self.rows(account_id, profile_id, timeline):
            gap = gaps.get(row[8])
            if gap is None:
                gap = gaps[row[8]] = copy_escape(row[8])
            lines.append(
                f"{account_id}\t{profile_id}\t{row[2].isoformat()}\t{row[3]!r}\t{row[4]}\t"
                f"{row[5]!r}\t{row[6]}\t{row[7]}\t{gap}\t{'t' if row[9] else 'f'}\n"
            )
        return "".join(lines)

    def rows(self, account_id: int, profile_id: int, timeline: list[WeekPoint]) -> Iterator[tuple]:
        """One row per week, in SNAPSHOT_FIELDS order; the last week is flagged latest.

        Contributions are stored as [[key, points, [slugs]], ...] and drivers as
        [[key, points, detail], ...], largest first, points rounded to 0.01.
        """
        encode = self._json
        last = len(timeline) - 1
        for index, point in enumerate(timeline):
            contributions = ",".join(
                f"[{encode(c.key)},{points!r},{encode(c.signals)}]"
                for c in point.contributions
                if (points := round(c.points, 2))
            )
            drivers = ",".join(
                f"[{encode(d.key)},{round(d.points, 2)!r},{encode(d.detail)}]"
                for d in point.risk_drivers
            )
            yield (
                account_id,
                profile_id,
                point.week_ending,
                round(point.score, 2),
                point.stage.value,
                round(point.decline_risk, 2),
                JsonText(f"[{contributions}]"),
                JsonText(f"[{drivers}]"),
                point.next_stage_gap,
                index == last,
            )
