"""What the decline-risk drivers read, kept up to date as the weekly walk moves on.

`score_timeline` feeds each week's evidence in (`contact`, `engaged_contacts`, `negative`, which
also takes the signals that warn, `positive` and `assessment`) and closes the week with `close`,
which slides every window to end on that day and returns the drivers' inputs. Days are date
ordinals. scoring/engine/batch.py reads the same quantities for a whole portfolio at once, and a
test holds the two to each other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from scoring.engine.risk import RiskInputs, signals_in_words
from scoring.engine.stages import Stage

# A rhythm is only trusted once this many gaps between contact days have been seen; until
# then silence is measured against DEFAULT_RHYTHM_DAYS (scoring/engine/risk.py).
MIN_GAPS = 3
# How far back the highest stage an account held is remembered: a top account that slips a
# stage while it falls silent, or while its relevance fades, is still a top account falling.
PEAK_STAGE_WEEKS = 52


def usual_gap(sum_gaps: float, sum_squares: float, gaps: int) -> float | None:
    """The usual length of a silence: the gap between contacts that a random day of the window
    falls in (sum of squared gaps over sum of gaps). For a steady rhythm it is that rhythm; a
    review followed by two quick follow-ups every month gives about a month, not ten days.
    None until MIN_GAPS gaps have been seen."""
    return sum_squares / sum_gaps if gaps >= MIN_GAPS and sum_gaps > 0 else None


def latest_warnings(warnings: Iterable[tuple[int, str]], day: int) -> tuple[tuple[str, int], ...]:
    """Each warning signal once, as (slug, days before `day` of its latest sighting), newest
    first: the same tender logged twice is one warning."""
    latest: dict[str, int] = {}
    for on, slug in warnings:
        if latest.get(slug, on) <= on:
            latest[slug] = on
    newest_first = sorted(latest.items(), key=lambda item: (-item[1], item[0]))
    return tuple((slug, day - on) for slug, on in newest_first)


class _RunningMax:
    """The largest value of the last `length` weeks (a monotonic queue: O(1) a week)."""

    __slots__ = ("length", "values")

    def __init__(self, length: int):
        self.length = length
        self.values: deque[tuple[int, float]] = deque()

    def push(self, week: int, value: float) -> float:
        while self.values and self.values[-1][1] <= value:
            self.values.pop()
        self.values.append((week, value))
        while self.values[0][0] <= week - self.length:
            self.values.popleft()
        return self.values[0][1]


class RiskWindows:
    """The sliding windows behind the decline-risk drivers of one account."""

    def __init__(self, params: Mapping[str, Any]):
        self.rhythm_window = params["rhythm_window_days"]
        self.contact_window = params["contact_window_days"]
        self.negatives_window = params["negatives_window_days"]
        self.warning_window = params["warning_window_days"]
        self.relevance_window = params["relevance_window_days"]
        self.perception_window = params["perception_window_days"]
        self.warning_slugs = frozenset(
            slug for slug, risk in params["warning_signals"].items() if risk > 0
        )
        # Which warnings a later positive signal answers: {resolving slug: warned slugs}.
        self.resolves: dict[str, set[str]] = {}
        for warned, resolvers in params["warning_resolved_by"].items():
            for resolver in resolvers:
                self.resolves.setdefault(resolver, set()).add(warned)

        self.contact_days: deque[int] = deque()  # distinct, within the rhythm window
        self.new_contact_days: set[int] = set()  # this week's, in any order
        self.gaps = 0
        self.sum_gaps = self.sum_squares = 0.0
        self.last_contact: int | None = None
        self.engaged: deque[tuple[int, tuple[int, ...]]] = deque()
        self.engaged_count: dict[int, int] = {}
        self.negatives: deque[tuple[int, float, str]] = deque()
        self.negative_points = 0.0
        self.warnings: deque[tuple[int, str]] = deque()
        self.relevance_seen: deque[tuple[int, int]] = deque()
        self.relevance: tuple[int, int] | None = None  # (day, reading)
        self.perceived: tuple[int, Stage] | None = None
        self.peak_stage = _RunningMax(PEAK_STAGE_WEEKS)
        self.peak_built = _RunningMax(params["momentum_weeks"])
        self.week = 0

    # The week's evidence -----------------------------------------------------------------

    def contact(self, day: int) -> None:
        """A day we were in touch: an interaction, or a trust signal seen in one."""
        self.new_contact_days.add(day)

    def engaged_contacts(self, day: int, contact_ids: tuple[int, ...]) -> None:
        self.engaged.append((day, contact_ids))
        for contact in contact_ids:
            self.engaged_count[contact] = self.engaged_count.get(contact, 0) + 1

    def negative(self, day: int, slug: str, weight: float) -> None:
        """A negative signal; one that warns on its own goes to the warnings instead."""
        if slug in self.warning_slugs:
            self.warnings.append((day, slug))
        elif weight > 0:
            self.negatives.append((day, weight, slug))
            self.negative_points += weight

    def positive(self, day: int, slug: str) -> None:
        """A positive signal, which answers the warnings it resolves that came before it
        (repeat business after a re-tender: the client chose us again). On the same day it
        answers nothing: which came first is not known."""
        answered = self.resolves.get(slug)
        if answered and self.warnings:
            self.warnings = deque(
                (on, warned) for on, warned in self.warnings if warned not in answered or on >= day
            )

    def assessment(self, day: int, relevance: int, perceived: Stage | None) -> None:
        self.relevance_seen.append((day, relevance))
        self.relevance = (day, relevance)
        if perceived is not None:
            self.perceived = (day, perceived)

    # Closing the week --------------------------------------------------------------------

    def _slide_rhythm(self, day: int) -> None:
        """Add the week's contact days to the rhythm of contact, in order, and drop the days
        that have left its window on `day`, keeping the count, sum and sum of squares of the
        gaps between the days kept (what `usual_gap` reads)."""
        for contact_day in sorted(self.new_contact_days):
            if self.contact_days:
                gap = contact_day - self.contact_days[-1]
                self.gaps += 1
                self.sum_gaps += gap
                self.sum_squares += gap * gap
            self.contact_days.append(contact_day)
            self.last_contact = contact_day
        self.new_contact_days.clear()
        days = self.contact_days
        while days and day - days[0] >= self.rhythm_window:
            gone = days.popleft()
            if days:
                gap = days[0] - gone
                self.gaps -= 1
                self.sum_gaps -= gap
                self.sum_squares -= gap * gap

    def close(self, day: int, *, stage: Stage, trust_built: float) -> RiskInputs:
        """Slide every window to end on `day` and read what the drivers need."""
        self._slide_rhythm(day)
        while self.engaged and day - self.engaged[0][0] >= self.contact_window:
            for contact in self.engaged.popleft()[1]:
                self.engaged_count[contact] -= 1
                if not self.engaged_count[contact]:
                    del self.engaged_count[contact]
        while self.negatives and day - self.negatives[0][0] >= self.negatives_window:
            self.negative_points -= self.negatives.popleft()[1]
        while self.warnings and day - self.warnings[0][0] >= self.warning_window:
            self.warnings.popleft()
        # Keep the reading in force when the window opened: it too was relevance seen within it.
        seen = self.relevance_seen
        while len(seen) > 1 and day - seen[1][0] >= self.relevance_window:
            seen.popleft()
        relevance = None
        if self.relevance is not None and day - self.relevance[0] < self.relevance_window:
            relevance = self.relevance[1]
        if self.perceived is not None and day - self.perceived[0] >= self.perception_window:
            self.perceived = None
        peak_stage = Stage.ranked(round(self.peak_stage.push(self.week, stage.rank)))
        best_built = self.peak_built.push(self.week, trust_built)
        self.week += 1
        return RiskInputs(
            days_since_contact=None if self.last_contact is None else day - self.last_contact,
            usual_gap_days=usual_gap(self.sum_gaps, self.sum_squares, self.gaps),
            score_drop=best_built - trust_built,
            relevance=relevance,
            relevance_fall=max(r for _, r in seen) - relevance if relevance else 0,
            recent_negative_points=self.negative_points if self.negatives else 0.0,
            negatives_named=(
                signals_in_words(n[2] for n in self.negatives) if self.negatives else ""
            ),
            stage=stage,
            peak_stage=peak_stage,
            perceived_stage=self.perceived[1] if self.perceived else None,
            recent_contacts=len(self.engaged_count) if self.engaged else None,
            warnings=latest_warnings(self.warnings, day) if self.warnings else (),
        )
