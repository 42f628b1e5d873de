"""Engine results as snapshot rows, ready for `insert_rows`.

A full recompute writes hundreds of thousands of rows, and encoding their JSON columns would
cost as much as computing them. The pieces of that JSON repeat endlessly (category names,
signal slugs, risk details), so each distinct piece is encoded once and rows are assembled
from the cached text; only the numbers are formatted per row.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator

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


def hundredths(value: float) -> str:
    """`value` rounded to 0.01 as `repr(round(value, 2))` writes it ("12.35", "2.0", "0.1",
    "-0.0"), in a third of the time: "%.2f" rounds exactly as `round` does (correctly, half to
    even), and the shortest form of such a number only drops the last of its two decimals when
    that is a zero. The two would part only past 10^13, far beyond any score or points here."""
    text = f"{value:.2f}"
    return text[:-1] if text[-1] == "0" else text


class SnapshotEncoder:
    """Turns timelines into rows; keep one per recompute so its caches pay off.

    With `for_copy`, every cached piece is also escaped for PostgreSQL's COPY text format, and
    `copy_text` gives whole rows as text lines.
    """

    def __init__(self, *, for_copy: bool = False) -> None:
        self._for_copy = for_copy
        self._json_text: dict[object, str] = {}
        # What surrounds an entry's points: '["key",' before, ',["slug",...]]' or ',"detail"]'
        # after (a tuple of slugs and a string of words never compare equal).
        self._heads: dict[str, str] = {}
        self._tails: dict[object, str] = {}
        self._dates: dict[datetime.date, str] = {}
        self._gap_text: dict[str, str] = {}

    def _json(self, value) -> str:
        text = self._json_text.get(value)
        if text is None:
            text = json.dumps(list(value) if isinstance(value, tuple) else value)
            if self._for_copy:
                text = copy_escape(text)
            self._json_text[value] = text
        return text

    def _entries(self, entries: Iterable[tuple[str, float, object]], *, drop_zero: bool) -> str:
        """Contributions ([key, points, [slugs]]) or risk drivers ([key, points, detail]) as a
        JSON list, points to 0.01; with `drop_zero`, the entries whose points round to 0 are
        left out."""
        heads, tails = self._heads, self._tails
        parts = []
        for key, points, last in entries:
            text = f"{points:.2f}"  # hundredths(), inlined: this runs for millions of entries
            if text[-1] == "0":
                text = text[:-1]
                if drop_zero and (text == "0.0" or text == "-0.0"):
                    continue
            head = heads.get(key)
            if head is None:
                head = heads[key] = f"[{self._json(key)},"
            tail = tails.get(last)
            if tail is None:
                tail = tails[last] = f",{self._json(last)}]"
            parts.append(f"{head}{text}{tail}")
        return f"[{','.join(parts)}]"

    def copy_text(self, account_id: int, profile_id: int, timeline: list[WeekPoint]) -> str:
        """The rows of `rows()` as lines of COPY text, columns in SNAPSHOT_FIELDS order."""
        if not self._for_copy:
            raise ValueError("Build the encoder with for_copy=True.")
        entries, dates, gaps = self._entries, self._dates, self._gap_text
        start = f"{account_id}\t{profile_id}\t"
        last = len(timeline) - 1
        lines = []
        for index, point in enumerate(timeline):
            week = dates.get(point.week_ending)
            if week is None:
                week = dates[point.week_ending] = point.week_ending.isoformat()
            gap = gaps.get(point.next_stage_gap)
            if gap is None:
                gap = gaps[point.next_stage_gap] = copy_escape(point.next_stage_gap)
            lines.append(
                f"{start}{week}\t{hundredths(point.score)}\t{point.stage.value}\t"
                f"{hundredths(point.decline_risk)}\t"
                f"{entries(point.contributions, drop_zero=True)}\t"
                f"{entries(point.risk_drivers, drop_zero=False)}\t"
                f"{gap}\t{'t' if index == last else 'f'}\n"
            )
        return "".join(lines)

    def rows(self, account_id: int, profile_id: int, timeline: list[WeekPoint]) -> Iterator[tuple]:
        """One row per week, in SNAPSHOT_FIELDS order; the last week is flagged latest.

        Contributions are stored as [[key, points, [slugs]], ...] and drivers as
        [[key, points, detail], ...], largest first, points rounded to 0.01.
        """
        entries = self._entries
        last = len(timeline) - 1
        for index, point in enumerate(timeline):
            yield (
                account_id,
                profile_id,
                point.week_ending,
                round(point.score, 2),
                point.stage.value,
                round(point.decline_risk, 2),
                JsonText(entries(point.contributions, drop_zero=True)),
                JsonText(entries(point.risk_drivers, drop_zero=False)),
                point.next_stage_gap,
                index == last,
            )
