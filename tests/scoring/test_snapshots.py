"""Snapshot rows as the engine's weeks are stored (scoring/snapshots.py): the COPY text that a
recompute streams into PostgreSQL holds what the rows written one by one hold, to the
character, and every number to the hundredth."""

import datetime
import json
import random

import pytest

from scoring.engine import Contribution, RiskDriver, Stage, WeekPoint, score_timeline
from scoring.engine.profile import Profile
from scoring.snapshots import SNAPSHOT_FIELDS, SnapshotEncoder, hundredths
from tests.scoring.decline_stories import LOSSES, ROUGH_PATCHES, tell

SUNDAY = datetime.date(2026, 11, 15)


def _unescaped(text: str) -> str:
    """A column of COPY's text format back to its value (the four escapes copy_escape makes)."""
    pieces = text.split("\\\\")
    return "\\".join(
        piece.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r") for piece in pieces
    )


def _copied(encoder: SnapshotEncoder, timeline: list[WeekPoint]) -> list[list[str]]:
    lines = encoder.copy_text(7, 2, timeline).splitlines()
    return [[_unescaped(column) for column in line.split("\t")] for line in lines]


def _as_copied(row: tuple) -> list[str]:
    """A row of `rows()` as its columns would read in COPY text."""
    account, profile, week, score, stage, risk, contributions, drivers, gap, latest = row
    return [
        str(account),
        str(profile),
        week.isoformat(),
        repr(score),
        stage,
        repr(risk),
        str(contributions),
        str(drivers),
        gap,
        "t" if latest else "f",
    ]


def test_hundredths_writes_what_round_and_repr_write():
    rng = random.Random(19)
    values = [rng.uniform(-150, 150) for _ in range(100_000)]
    values += [rng.randint(-15_000, 15_000) / 100 for _ in range(50_000)]  # exact hundredths
    values += [(rng.randint(-15_000, 15_000) + 0.5) / 100 for _ in range(50_000)]  # halves
    values += [rng.uniform(-0.006, 0.006) for _ in range(10_000)]  # about nothing, either sign
    values += [0.0, -0.0, 0.005, 0.015, 0.125, 99.995, 100.0, 2.675, 1e-300, -1e-300, 1e12 / 3]
    assert [hundredths(v) for v in values] == [repr(round(v, 2)) for v in values]
    assert [hundredths(v) for v in (2.0, 0.1, 12.345, -0.001)] == ["2.0", "0.1", "12.35", "-0.0"]


def test_a_week_is_written_with_its_points_to_the_hundredth_and_nothing_that_rounds_to_zero():
    week = WeekPoint(
        SUNDAY,
        41.996,
        Stage.CONFIDANT,
        12.1,
        (
            Contribution("engagement", 30.0, ()),
            Contribution("inclusion", 12.004, ("invited_to_planning", "inner_circle_access")),
            Contribution("delivery", -0.004, ("delivery_miss",)),  # rounds to nothing
        ),
        (RiskDriver("silence", 12.1, "no contact for 40 days; usually every 14"),),
        "needs a score of 45 (now 42.0)",
    )
    [columns] = _copied(SnapshotEncoder(for_copy=True), [week])

    assert columns[:6] == ["7", "2", "2026-11-15", "42.0", "confidant", "12.1"]
    assert json.loads(columns[6]) == [
        ["engagement", 30.0, []],
        ["inclusion", 12.0, ["invited_to_planning", "inner_circle_access"]],
    ]
    assert json.loads(columns[7]) == [["silence", 12.1, "no contact for 40 days; usually every 14"]]
    assert columns[8:] == ["needs a score of 45 (now 42.0)", "t"]


def test_words_that_copy_would_read_as_its_own_marks_are_escaped():
    # Tabs, line breaks and backslashes end a column or a row in COPY's text, unless escaped.
    detail = "a\tb\\c\nd"
    week = WeekPoint(
        SUNDAY, 10.0, Stage.VENDOR, 5.0, (), (RiskDriver("note", 5.0, detail),), "gap\twith\\tab"
    )
    [columns] = _copied(SnapshotEncoder(for_copy=True), [week])
    assert len(columns) == len(SNAPSHOT_FIELDS)
    assert json.loads(columns[7]) == [["note", 5.0, detail]]
    assert columns[8] == "gap\twith\\tab"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_copy_text_of_whole_histories_holds_what_the_rows_hold(seed):
    profile = Profile.default()
    rng = random.Random(seed)
    stages = list(Stage)
    timelines = []
    for n in range(12):  # every kind of story, so every driver and contribution shows
        story = tell(rng.choice(LOSSES + ROUGH_PATCHES), rng.choice(stages), seed * 100 + n)
        timelines.append(score_timeline(story.evidence, profile, as_of=story.as_of))
    assert sum(len(timeline) for timeline in timelines) > 300

    copying, writing = SnapshotEncoder(for_copy=True), SnapshotEncoder()
    for timeline in timelines:  # one encoder for all: its kept pieces serve every account
        rows = [_as_copied(row) for row in writing.rows(7, 2, timeline)]
        assert _copied(copying, timeline) == rows
        assert [columns[-1] for columns in rows].count("t") == 1
