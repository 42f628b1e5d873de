"""The figures the account page and the dashboard draw, and their captions in words, built from
plain data (no database)."""

import datetime
from types import SimpleNamespace

from scoring.charts import (
    HistoryPoint,
    SignalMark,
    history_figure,
    history_summary,
    portfolio_map_figure,
    portfolio_map_summary,
    s_curve_figure,
    s_curve_maturity,
    s_curve_summary,
)
from scoring.engine import DEFAULTS, Stage

THRESHOLDS = DEFAULTS["stage_thresholds"]
MONDAY = datetime.date(2026, 3, 2)


def _weeks(*scores):
    return [
        HistoryPoint(MONDAY + datetime.timedelta(days=6 + 7 * i), score, "vendor", 100 - score)
        for i, score in enumerate(scores)
    ]


def test_it_shades_one_band_per_stage_at_the_profiles_thresholds():
    figure = history_figure(_weeks(10, 20), [], thresholds=THRESHOLDS)
    bands = [(shape["y0"], shape["y1"]) for shape in figure["layout"]["shapes"]]
    assert bands == [(0, 28), (28, 58), (58, 73), (73, 100)]
    assert [a["text"] for a in figure["layout"]["annotations"]] == [
        "Vendor",
        "Confidant",
        "Consultant",
        "Virtual partner",
    ]


def test_signal_markers_sit_on_the_score_of_their_week_and_name_the_signals():
    points = _weeks(10, 20, 30)
    marks = [
        SignalMark(MONDAY + datetime.timedelta(days=8), "Invited to planning", 1),
        SignalMark(MONDAY + datetime.timedelta(days=9), "Price pressure", -1),
        SignalMark(MONDAY + datetime.timedelta(days=15), "Delivery miss", -1),
        SignalMark(MONDAY - datetime.timedelta(days=30), "Before the history", 1),
    ]
    figure = history_figure(points, marks, thresholds=THRESHOLDS)
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["Score", "Decline risk", "Trust signals", "Warning signals"]
    trust, warning = figure["data"][2], figure["data"][3]
    assert trust["y"] == [20] and "Invited to planning" in trust["text"][0]
    assert "Price pressure" in trust["text"][0]  # same week, listed together
    assert warning["y"] == [30] and "Delivery miss" in warning["text"][0]


def test_the_path_follows_the_curve_and_ends_where_the_account_stands():
    # The score is in the consultant band, but without its defining signal the account is a
    # confidant: the label says the stage it holds.
    weeks = _weeks(5, 40, 60)
    weeks[-1] = weeks[-1]._replace(stage="confidant")
    figure = s_curve_figure(weeks, thresholds=THRESHOLDS)
    path, now = figure["data"][-2], figure["data"][-1]
    assert path["y"] == [5, 40, 60]
    assert path["x"] == sorted(path["x"])  # a higher score sits further along the curve
    assert now["text"] == ["now: Confidant"]
    assert len(figure["data"]) == 6  # four stage segments, the path, the current point


def test_maturity_rises_with_score_and_stays_on_the_axis():
    positions = [s_curve_maturity(score) for score in (0, 1, 28, 58, 73, 99, 100)]
    assert positions == sorted(positions)
    assert positions[0] >= 0 and positions[-1] <= 100


def test_signal_names_reach_the_hover_as_typed_not_as_markup():
    # A scoring admin may name a signal type anything; plotly follows <a> and <b> in hover text.
    marks = [
        SignalMark(MONDAY + datetime.timedelta(days=8), '<a href="https://x.example/">Call</a>', 1)
    ]

    figure = history_figure(_weeks(10, 20), marks, thresholds=THRESHOLDS)

    hover = figure["data"][2]["text"][0]
    assert hover == '+ &lt;a href="https://x.example/"&gt;Call&lt;/a&gt; (10 Mar)'


def _row(account_id, risk, band, revenue=100):
    return SimpleNamespace(
        account_id=account_id,
        name=f"Account {account_id}",
        owner_name="Alice Moreau",
        stage=Stage.CONFIDANT,
        score=40.0,
        score_90=None,
        decline_risk=risk,
        risk_band=band,
        top_driver_key="",
        revenue=revenue,
    )


def test_the_map_draws_each_risk_band_with_its_own_shape_and_names_it():
    rows = [_row(1, 10, "low"), _row(2, 45, "medium"), _row(3, 80, "high"), _row(4, 5, "low")]
    figure = portfolio_map_figure(rows, bins=[], thresholds=THRESHOLDS, trails=False)
    accounts = figure["data"][-1]
    # Colour alone would leave out whoever cannot tell green from red.
    assert accounts["marker"]["symbol"] == ["circle", "diamond", "triangle-up", "circle"]
    assert [point[6] for point in accounts["customdata"]] == ["low", "medium", "high", "low"]
    assert "%{customdata[6]}" in accounts["hovertemplate"]
    bands = {"low": 2, "medium": 1, "high": 1}
    assert portfolio_map_summary(bands, drawn=4, every_point_up_to=500) == (
        "4 accounts: 2 low risk (circles), 1 medium risk (diamonds), 1 high risk (triangles)."
    )


def test_a_large_book_is_drawn_as_counted_squares_under_its_riskiest_accounts():
    rows = [_row(1, 80, "high"), _row(2, 70, "high")]
    squares = [(8, 16, 2), (8, 2, 4_998)]  # scores 40-45; risk 80-85, and 10-15
    figure = portfolio_map_figure(rows, bins=squares, thresholds=THRESHOLDS, trails=False)

    counted, accounts = figure["data"]
    assert counted["x"] == [42.5, 42.5] and counted["y"] == [82.5, 12.5]
    # Counts, and no account id for a click to open.
    assert [square[:2] for square in counted["customdata"]] == [[None, 2], [None, 4_998]]
    # The fullest square is the largest; a square's area grows with its count.
    assert counted["marker"]["size"][1] == 22 > counted["marker"]["size"][0]
    assert [point[0] for point in accounts["customdata"]] == [1, 2]
    summary = portfolio_map_summary(
        {"low": 4_998, "medium": 0, "high": 2}, drawn=2, every_point_up_to=500
    )
    assert summary.startswith("5,000 accounts: 4,998 low risk (circles), 0 medium risk")
    assert "The 2 riskiest are drawn one by one; grey squares count every account" in summary
    assert "500 accounts or fewer" in summary


def test_the_history_and_the_path_are_said_in_words():
    weeks = _weeks(10, 20, 35)
    weeks[-1] = weeks[-1]._replace(stage="confidant")
    assert history_summary(weeks) == (
        "3 weeks from 8 Mar 2026 to 22 Mar 2026: score 10 (Vendor) to 35 (Confidant), "
        "decline risk 90 to 65."
    )
    assert s_curve_summary(weeks) == (
        "The account stands at confidant with a score of 35; the path shows each of its 3 "
        "weeks along the curve."
    )
    assert history_summary([]) == s_curve_summary([]) == ""
