"""What the scoring engine promises about position (no database: these run in milliseconds).

Decline risk has its own file, test_risk.py."""

import copy
import dataclasses
import datetime
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.engine import (
    DEFAULTS,
    InteractionEvent,
    Profile,
    SignalEvent,
    Stage,
    score_timeline,
    week_ending,
)
from scoring.engine.curve import first_week
from tests.scoring.evidence import (
    NEGATIVE,
    POSITIVE,
    assessment,
    day,
    evidence,
    meeting,
    monthly_meetings,
    signal,
)
from tests.scoring.references import reference

AS_OF = day(3 * 365)
DEFAULT = Profile.default()


def tuned(**changes) -> Profile:
    """The default profile with some parameters replaced (dotted keys reach inside)."""
    params = copy.deepcopy(DEFAULTS)
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        target = params
        for part in path:
            target = target[part]
        target[last] = value
    return Profile.from_dict(params)


def by_week(timeline):
    return {point.week_ending: point for point in timeline}


offsets = st.integers(min_value=0, max_value=3 * 365)
signals = st.builds(signal, st.sampled_from(POSITIVE + NEGATIVE), offsets)
meetings = st.builds(
    meeting,
    offsets,
    st.integers(1, 4),
    kind=st.sampled_from(["meeting", "call", "email", "workshop", "planning_session"]),
    by_client=st.booleans(),
)
assessments = st.builds(
    assessment, offsets, st.integers(1, 5), st.one_of(st.none(), st.sampled_from(list(Stage)))
)
histories = st.builds(
    lambda s, m, a: evidence(*s, *m, *a),
    st.lists(signals, max_size=25),
    st.lists(meetings, max_size=25),
    st.lists(assessments, max_size=4, unique_by=lambda a: a.assessed_on),
)


# 1. Deterministic ------------------------------------------------------------------------


@given(histories, st.randoms(use_true_random=False))
def test_the_same_evidence_gives_the_same_timeline_in_any_order(history, rnd):
    shuffled = evidence(
        *rnd.sample(history.signals, len(history.signals)),
        *rnd.sample(history.interactions, len(history.interactions)),
        *rnd.sample(history.assessments, len(history.assessments)),
    )
    first = score_timeline(history, DEFAULT, as_of=AS_OF)
    assert score_timeline(history, DEFAULT, as_of=AS_OF) == first
    assert score_timeline(shuffled, DEFAULT, as_of=AS_OF) == first


def test_the_timeline_runs_weekly_from_the_first_evidence_to_today():
    timeline = score_timeline(evidence(meeting(10), meeting(40)), DEFAULT, as_of=day(60))
    assert timeline[0].week_ending == week_ending(day(10)) == datetime.date(2024, 1, 14)
    assert [
        b.week_ending - a.week_ending for a, b in zip(timeline, timeline[1:], strict=False)
    ] == [datetime.timedelta(days=7)] * (len(timeline) - 1)
    assert all(point.week_ending.weekday() == 6 for point in timeline)  # Sundays
    # The current week is evaluated on the as-of date, not on the Sunday still to come.
    assert timeline[-1].week_ending == week_ending(day(60))


@given(histories, st.integers(min_value=-10, max_value=170))
def test_a_timeline_from_a_later_week_is_the_tail_of_the_whole_one(history, weeks_in):
    """What the daily roll writes: the weeks from its first on, exactly as the whole walk
    gives them (a week before the first evidence gives all of it; one after `as_of`, none)."""
    whole = score_timeline(history, DEFAULT, as_of=AS_OF)
    first = week_ending(day(0)) + datetime.timedelta(weeks=weeks_in)
    tail = score_timeline(history, DEFAULT, as_of=AS_OF, from_week=first)
    assert tail == [point for point in whole if point.week_ending >= first]


@given(
    histories,
    st.integers(min_value=-30, max_value=3 * 365),
    st.one_of(st.none(), st.integers(min_value=-30, max_value=3 * 365)),
)
def test_the_first_week_is_the_one_the_timeline_begins_with(history, days, lost):
    history = dataclasses.replace(history, lost_on=None if lost is None else day(lost))
    timeline = score_timeline(history, DEFAULT, as_of=day(days))
    assert first_week(history, as_of=day(days)) == (timeline[0].week_ending if timeline else None)


@given(histories)
def test_a_timeline_left_unexplained_has_the_same_standings_and_risks(history):
    """The backtest's walk: every week's score, stage, risk and drivers as the explained
    timeline has them, without the contributions and the words on the next stage."""
    whole = score_timeline(history, DEFAULT, as_of=AS_OF)
    lean = score_timeline(history, DEFAULT, as_of=AS_OF, explain=False)
    assert lean == [point._replace(contributions=(), next_stage_gap="") for point in whole]


def test_evidence_after_the_as_of_date_is_ignored():
    with_future = evidence(meeting(10), signal("invited_to_planning", 100))
    assert score_timeline(with_future, DEFAULT, as_of=day(50)) == score_timeline(
        evidence(meeting(10)), DEFAULT, as_of=day(50)
    )
    assert score_timeline(evidence(meeting(100)), DEFAULT, as_of=day(50)) == []


def test_a_lost_accounts_timeline_ends_the_day_it_was_lost():
    history = evidence(*monthly_meetings(0, 300, 1, 2))
    lost = evidence(*history.interactions, lost_on=day(200))
    timeline = score_timeline(lost, DEFAULT, as_of=day(300))
    assert timeline[-1].week_ending == week_ending(day(200))
    assert timeline == score_timeline(history, DEFAULT, as_of=day(200))


# 2. Monotone -----------------------------------------------------------------------------


def _never_below(lower, upper):
    higher = by_week(upper)
    for point in lower:
        if point.week_ending in higher:
            assert higher[point.week_ending].score >= point.score - 1e-9, point.week_ending


@given(histories, st.sampled_from(POSITIVE), offsets)
def test_a_positive_signal_never_lowers_a_later_score(history, slug, offset):
    more = evidence(*history.signals, signal(slug, offset), *history.interactions)
    more = evidence(*more.signals, *more.interactions, *history.assessments)
    _never_below(
        score_timeline(history, DEFAULT, as_of=AS_OF), score_timeline(more, DEFAULT, as_of=AS_OF)
    )


@given(histories, st.sampled_from(NEGATIVE), offsets)
def test_a_negative_signal_never_raises_a_later_score(history, slug, offset):
    more = evidence(
        *history.signals, signal(slug, offset), *history.interactions, *history.assessments
    )
    _never_below(
        score_timeline(more, DEFAULT, as_of=AS_OF), score_timeline(history, DEFAULT, as_of=AS_OF)
    )


# 3. Evidence fades -----------------------------------------------------------------------


def test_with_no_new_evidence_the_score_drifts_down():
    history = evidence(
        signal("delivered_as_promised", 0),
        signal("invited_to_planning", 7),
        signal("strategy_advice_requested", 14),
        *monthly_meetings(0, 60, 1, 2),
    )
    timeline = score_timeline(history, DEFAULT, as_of=day(400))
    after = [point.score for point in timeline if point.week_ending > day(70)]
    assert after[0] > 15
    assert all(later < earlier for earlier, later in zip(after, after[1:], strict=False))
    assert after[-1] < after[0] / 2


@pytest.mark.parametrize(
    ("slug", "half_life_key"),
    [
        ("delivered_as_promised", "half_life_days__delivery"),
        ("delivery_miss", "negative_half_life_days"),
    ],
)
def test_each_kind_of_evidence_loses_half_its_weight_over_its_half_life(slug, half_life_key):
    profile = tuned(**{half_life_key: 28})
    timeline = score_timeline(evidence(signal(slug, 0)), profile, as_of=day(200))
    points = {point.week_ending: point.evidence_points for point in timeline}
    first = timeline[0].week_ending
    assert points[first + datetime.timedelta(days=28)] == pytest.approx(points[first] / 2)
    assert points[first + datetime.timedelta(days=56)] == pytest.approx(points[first] / 4)


def test_negative_evidence_fades_at_its_own_rate():
    history = evidence(*[signal("delivered_as_promised", n) for n in range(0, 50, 7)])
    history = evidence(*history.signals, signal("delivery_miss", 56))
    slow = score_timeline(history, tuned(negative_half_life_days=365), as_of=day(200))
    fast = score_timeline(history, tuned(negative_half_life_days=30), as_of=day(200))
    assert slow[7].score == pytest.approx(fast[7].score)  # the week before the miss
    assert slow[8].score < slow[7].score and fast[8].score < fast[7].score
    assert fast[-1].score > slow[-1].score + 5  # forgiven sooner


# 4. Tolerance grows with trust -----------------------------------------------------------

# Two accounts with the same evidence points: one holds the gate signal of `stage`, the other an
# equally weighted signal of the same category that opens no gate. Then both suffer the same
# delivery miss.
SAME_WEIGHT = tuned(
    signal_weights__invited_to_planning=10,
    signal_weights__inner_circle_access=10,
    signal_weights__treated_as_team_member=10,
    gates__consultant=["treated_as_team_member"],
    score_scale=30,  # two months of evidence reach consultant
)


def _cost_of_a_miss(gate_slug: str, stage_evidence: list) -> tuple[Stage, float]:
    before = evidence(*stage_evidence, signal(gate_slug, 20), *monthly_meetings(0, 120, 1, 2, 3))
    after = evidence(*before.signals, signal("delivery_miss", 63), *before.interactions)
    as_of = day(70)
    without = score_timeline(before, SAME_WEIGHT, as_of=as_of)[-1]
    with_miss = score_timeline(after, SAME_WEIGHT, as_of=as_of)[-1]
    return without.stage, without.score - with_miss.score


def test_the_same_mistake_costs_more_at_vendor_than_at_confidant_than_at_consultant():
    base = [signal("delivered_as_promised", n) for n in range(0, 63, 7)]
    base += [signal("brought_external_insight", n) for n in (14, 42, 56)]
    base += [signal("invited_to_planning", 21), signal("strategy_advice_requested", 28)]
    vendor_base = [s for s in base if s.slug != "invited_to_planning"]
    vendor_base.append(signal("inner_circle_access", 21))

    stage, at_vendor = _cost_of_a_miss("inner_circle_access", vendor_base)
    assert stage is Stage.VENDOR
    stage, at_confidant = _cost_of_a_miss("inner_circle_access", base)
    assert stage is Stage.CONFIDANT
    stage, at_consultant = _cost_of_a_miss("treated_as_team_member", base)
    assert stage is Stage.CONSULTANT
    assert at_vendor > at_confidant > at_consultant > 0


# 5. Stage gates ----------------------------------------------------------------------------

# Weekly delivery, inner-circle access and team membership every fortnight: enough for any
# stage.
STRONG = [
    *[signal("delivered_as_promised", n) for n in range(0, 300, 7)],
    *[signal("inner_circle_access", n) for n in range(0, 300, 14)],
    *[signal("treated_as_team_member", n) for n in range(0, 300, 14)],
    *monthly_meetings(0, 300, 1, 2, 3),
]


def test_a_high_score_without_the_defining_signal_stays_vendor():
    latest = score_timeline(evidence(*STRONG), DEFAULT, as_of=day(300))[-1]
    assert latest.score > DEFAULT["stage_thresholds"]["virtual_partner"]
    assert latest.stage is Stage.VENDOR
    assert (
        "confidant needs an invited_to_planning or early_notice_of_plans" in latest.next_stage_gap
    )


@pytest.mark.parametrize(
    ("gate_slugs", "stage"),
    [
        (["early_notice_of_plans"], Stage.CONFIDANT),
        (["invited_to_planning", "strategy_advice_requested"], Stage.CONSULTANT),
        (
            ["invited_to_planning", "strategy_advice_requested", "consulted_on_major_decision"],
            Stage.VIRTUAL_PARTNER,
        ),
    ],
)
def test_each_stage_opens_with_its_defining_signal(gate_slugs, stage):
    history = evidence(*STRONG, *[signal(slug, 250) for slug in gate_slugs])
    assert score_timeline(history, DEFAULT, as_of=day(300))[-1].stage is stage


def test_a_gate_closes_when_its_signal_is_older_than_the_window():
    history = evidence(
        signal("invited_to_planning", 0),
        *[signal("delivered_as_promised", n) for n in range(0, 500, 7)],
        *monthly_meetings(0, 500, 1, 2),
    )
    timeline = by_week(
        score_timeline(history, tuned(gate_window_days__confidant=180), as_of=day(500))
    )
    assert timeline[week_ending(day(170))].stage is Stage.CONFIDANT
    assert timeline[week_ending(day(190))].stage is Stage.VENDOR
    assert timeline[week_ending(day(190))].score > 30  # the score alone would still qualify


@pytest.mark.parametrize("stage", list(Stage))
def test_each_reference_relationship_sits_inside_its_own_stage(stage):
    """The default scale and thresholds come from these (docs/model.md): a steady account
    showing what a position shows stays in that position's band, clear of its edges."""
    timeline = score_timeline(evidence(*reference(stage)), DEFAULT, as_of=day(730))
    last_year = timeline[-52:]
    assert {point.stage for point in last_year} == {stage}
    upper = DEFAULT.threshold(stage.next) if stage.next else 100
    assert DEFAULT.threshold(stage) + 2 < min(p.score for p in last_year)
    assert max(p.score for p in last_year) < upper - 2


# 6. Hysteresis ---------------------------------------------------------------------------


def _wobbling(threshold_offset: float) -> list:
    """A confidant account whose score wobbles a little above and below the threshold."""
    rnd = random.Random(4)
    events: list[SignalEvent | InteractionEvent]
    events = [signal("invited_to_planning", n) for n in range(0, 700, 60)]
    events += [meeting(n, 1 + n % 3) for n in range(0, 700, 9)]
    events += [signal("delivered_as_promised", n) for n in range(0, 700, 7) if rnd.random() < 0.2]
    return events


def test_a_score_wobbling_around_a_threshold_does_not_flip_the_stage():
    history = evidence(*_wobbling(0))
    # Put the confidant threshold in the middle of where this account's score wobbles.
    scores = [p.score for p in score_timeline(history, DEFAULT, as_of=day(700))[20:]]
    middle = round(sorted(scores)[len(scores) // 2])
    spread = max(scores) - min(scores)
    assert 3 < spread < 30  # it really wobbles, but within a band

    def flips(profile):
        timeline = score_timeline(history, profile, as_of=day(700))[20:]
        return sum(a.stage != b.stage for a, b in zip(timeline, timeline[1:], strict=False))

    steady = tuned(stage_thresholds__confidant=middle, hysteresis=spread / 2 + 1)
    jumpy = tuned(stage_thresholds__confidant=middle, hysteresis=0)
    assert flips(jumpy) >= 4
    assert flips(steady) <= 1


# 7. Explanation --------------------------------------------------------------------------


@given(histories)
@settings(max_examples=60)
def test_contributions_add_up_to_the_score(history):
    for point in score_timeline(history, DEFAULT, as_of=AS_OF):
        assert 0 <= point.score <= 100
        assert sum(c.points for c in point.contributions) == pytest.approx(point.score, abs=1e-6)


def test_contributions_name_the_signals_behind_them_largest_first():
    history = evidence(
        signal("invited_to_planning", 0),
        signal("inner_circle_access", 5),
        signal("treated_as_team_member", 10),
        signal("price_pressure", 12),
        *monthly_meetings(0, 20, 1),
    )
    point = score_timeline(history, DEFAULT, as_of=day(20))[-1]
    named = {(c.key, c.points > 0): c.signals for c in point.contributions}
    # Each signal's weight as it stands today: the newer of two equal signals weighs more.
    assert named["inclusion", True] == (
        "treated_as_team_member",
        "inner_circle_access",
        "invited_to_planning",
    )
    assert named["commercial", False] == ("price_pressure",)
    assert named["engagement", True] == ()
    assert [abs(c.points) for c in point.contributions] == sorted(
        (abs(c.points) for c in point.contributions), reverse=True
    )


def test_when_negatives_outweigh_the_positives_a_floor_keeps_the_score_at_zero():
    history = evidence(signal("delivered_as_promised", 0), signal("retender_or_competitive_bid", 3))
    point = score_timeline(history, DEFAULT, as_of=day(5))[-1]
    assert point.score == 0
    parts = {c.key: c.points for c in point.contributions}
    assert parts["delivery"] > 0 and parts["commercial"] < 0
    assert parts["floor"] == pytest.approx(-(parts["delivery"] + parts["commercial"]))


def test_the_next_stage_gap_is_stated():
    history = evidence(
        signal("invited_to_planning", 0),
        *[signal("delivered_as_promised", n) for n in range(0, 60, 7)],
        *monthly_meetings(0, 60, 1, 2),
    )
    point = score_timeline(history, DEFAULT, as_of=day(60))[-1]
    assert point.stage is Stage.CONFIDANT
    assert point.next_stage_gap.startswith(
        "consultant needs a strategy_advice_requested in the last 12 months and "
    )
    top = evidence(
        *STRONG,
        *[signal(s, 250) for s in ("invited_to_planning", "strategy_advice_requested")],
        signal("consulted_on_major_decision", 250),
    )
    point = score_timeline(top, DEFAULT, as_of=day(300))[-1]
    assert point.stage is Stage.VIRTUAL_PARTNER
    assert point.next_stage_gap == ""
