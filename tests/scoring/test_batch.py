"""The portfolio-at-once engine gives every account the standing its own timeline ends on."""

import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.engine import InteractionEvent, Stage, score_timeline
from scoring.engine.batch import build, columns_from_evidence, standings
from tests.scoring.evidence import assessment, day, evidence, meeting, signal
from tests.scoring.test_curve import AS_OF, DEFAULT, histories, tuned

# Profiles that move stages, gates, tolerance, windows and risk around.
PROFILES = [
    DEFAULT,
    tuned(
        signal_weights__invited_to_planning=30,
        stage_thresholds__confidant=15,
        hysteresis=0,
        score_scale=40,
    ),
    tuned(
        gates__confidant=[],
        gates__consultant=[],
        tolerance__vendor=0,
        tolerance__confidant=0,
        tolerance__consultant=0,
        tolerance__virtual_partner=0,
    ),  # fmt: skip
    tuned(
        interaction_weights__meeting=4,
        client_initiated_multiplier=3,
        half_life_days__delivery=20,
        negative_half_life_days=400,
        momentum_weeks=1,
        contact_window_days=400,
        relevance_window_days=30,
        perception_window_days=30,
        rhythm_window_days=40,
    ),
]


def _same_standing(batch_point, timeline_point):
    assert batch_point.week_ending == timeline_point.week_ending
    assert batch_point.stage == timeline_point.stage
    assert batch_point.score == pytest.approx(timeline_point.score, abs=1e-9)
    assert batch_point.decline_risk == pytest.approx(timeline_point.decline_risk, abs=1e-9)
    assert [(d.key, d.detail) for d in batch_point.risk_drivers] == [
        (d.key, d.detail) for d in timeline_point.risk_drivers
    ]
    assert batch_point.next_stage_gap == timeline_point.next_stage_gap


def _loss_days():
    return st.one_of(st.none(), st.integers(0, 3 * 365 + 30).map(day))


portfolios = st.lists(
    st.tuples(histories, _loss_days()).map(
        lambda pair: evidence(
            *pair[0].signals, *pair[0].interactions, *pair[0].assessments, lost_on=pair[1]
        )
    ),
    min_size=1,
    max_size=6,
)


@given(portfolios, st.sampled_from(PROFILES))
@settings(max_examples=150, deadline=None)
def test_each_account_stands_where_its_own_timeline_ends(portfolio, profile):
    book = {100 + index: history for index, history in enumerate(portfolio)}
    result = standings(build(columns_from_evidence(book), as_of=AS_OF), profile)

    for pk, history in book.items():
        timeline = score_timeline(history, profile, as_of=AS_OF)
        if not timeline:
            assert pk not in result
            continue
        _same_standing(result[pk], timeline[-1])


@given(portfolios, st.sampled_from(PROFILES))
@settings(max_examples=150, deadline=None)
def test_risks_worked_out_all_at_once_are_the_ones_the_drivers_add_up_to(portfolio, profile):
    """The preview's and the backtest's way: every account's risk at once, drivers unnamed."""
    book = {100 + index: history for index, history in enumerate(portfolio)}
    batch = build(columns_from_evidence(book), as_of=AS_OF)
    named = standings(batch, profile)

    unnamed = standings(batch, profile, drivers=False)

    assert unnamed.keys() == named.keys()
    for pk, point in unnamed.items():
        assert point.decline_risk == pytest.approx(named[pk].decline_risk, abs=1e-9)
        assert point.risk_drivers == ()
        assert point._replace(decline_risk=0, risk_drivers=()) == named[pk]._replace(
            decline_risk=0, risk_drivers=()
        )


def test_a_lost_account_stands_where_it_was_the_day_it_was_lost():
    lost_on = day(400)
    book = {
        1: evidence(signal("invited_to_planning", 10), meeting(20), meeting(500), lost_on=lost_on),
        2: evidence(meeting(900)),
    }
    result = standings(build(columns_from_evidence(book), as_of=AS_OF), DEFAULT)

    assert result[1].week_ending == lost_on + datetime.timedelta(days=6 - lost_on.weekday())
    assert result[1].risk_drivers[0].detail.startswith("no contact for 380 days")
    assert result[2].stage == Stage.VENDOR


def test_accounts_with_no_evidence_yet_have_no_standing():
    book = {1: evidence(), 2: evidence(meeting(3 * 365 + 10)), 3: evidence(meeting(5))}
    result = standings(build(columns_from_evidence(book), as_of=AS_OF), DEFAULT)

    assert list(result) == [3]  # 2's only meeting is after as_of


def test_an_empty_portfolio_has_no_standings():
    assert standings(build(columns_from_evidence({}), as_of=AS_OF), DEFAULT) == {}


def _busy_book(accounts: int) -> dict:
    """Accounts with ids far past 32 bits (ids are 64-bit), each met weekly by a few people
    (ids as large), with signals both ways and readings of relevance: every column used."""
    book = {}
    for number in range(accounts):
        people = [2**40 + 3 * number + n for n in range(1 + number % 3)]
        book[2**40 + number] = evidence(
            *(meeting(offset, *people[: 1 + offset % 3]) for offset in range(0, 1_000, 7)),
            signal("invited_to_planning", 30 + number),
            signal("strategy_advice_requested", 400 + number),
            signal("consulted_on_major_decision", 700),
            signal("price_pressure", 900 + number % 60),
            assessment(800, 2 + number % 4, Stage.CONSULTANT),
            lost_on=day(950) if number % 5 == 0 else None,
        )
    return book


def test_a_book_of_many_accounts_with_large_ids_stands_where_each_timeline_ends():
    """The batch keeps its columns narrow, yet no sum or pair of them overflows: the people
    each account met are told apart by their whole ids."""
    book = _busy_book(40)
    result = standings(build(columns_from_evidence(book), as_of=AS_OF), DEFAULT)

    assert result.keys() == book.keys()
    for pk, history in book.items():
        _same_standing(result[pk], score_timeline(history, DEFAULT, as_of=AS_OF)[-1])


def test_the_batch_holds_a_book_in_a_few_bytes_per_row_of_evidence():
    """What the what-if preview keeps in each web process between an admin's edits: at 50,000
    accounts, about nine million rows of evidence."""
    book = _busy_book(200)
    batch = build(columns_from_evidence(book), as_of=AS_OF)
    rows = sum(
        len(column)
        for column in (
            batch.signal_day,
            batch.interaction_day,
            batch.contact_day,
            batch.assessment_day,
        )
    )
    held = sum(value.nbytes for value in vars(batch).values() if isinstance(value, np.ndarray))

    assert rows > 70_000
    assert held / rows < 20  # 34 with every column in 64 bits


def test_days_in_the_calendar_s_first_weeks_take_the_walk_as_later_ones_do():
    """Days are kept in 32 bits whatever their range: any date the calendar holds is walked."""
    first = datetime.date.fromordinal(107)  # 17 April of year 1
    book = {1: evidence(InteractionEvent(first, "meeting", False, (5,)))}
    as_of = datetime.date.fromordinal(127)
    result = standings(build(columns_from_evidence(book), as_of=as_of), DEFAULT)

    _same_standing(result[1], score_timeline(book[1], DEFAULT, as_of=as_of)[-1])
