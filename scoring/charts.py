"""Plotly figures built from plain score data, as dicts the browser draws (no ORM here).

Templates emit a figure with `json_script` and static/js/app.js hands it to Plotly, so no page
needs an inline script. Only trace types in the partial plotly bundle (scatter) are used.

Plotly draws every label (hover text, annotations, legend entries, tick labels, titles) as a
small HTML of its own: `<b>`, `<br>`, `<a href>` and a few more are followed, whatever the
JSON escaping around them. Every label built from what people typed (account and signal
names, managers' names) goes through `label()`, so that it shows as typed.
"""

from __future__ import annotations

import datetime
import html
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from scoring.engine import Stage
from scoring.engine.explain import risk_driver_label

STAGE_COLOURS = {
    Stage.VENDOR: "rgba(148, 163, 184, 0.16)",
    Stage.CONFIDANT: "rgba(56, 189, 248, 0.14)",
    Stage.CONSULTANT: "rgba(34, 197, 94, 0.14)",
    Stage.VIRTUAL_PARTNER: "rgba(168, 85, 247, 0.14)",
}
# The same hues, solid, for the curve's segments.
STAGE_LINE_COLOURS = {
    Stage.VENDOR: "#94a3b8",
    Stage.CONFIDANT: "#38bdf8",
    Stage.CONSULTANT: "#22c55e",
    Stage.VIRTUAL_PARTNER: "#a855f7",
}
SCORE_COLOUR = "#2457c5"
RISK_COLOUR = "#b3261e"
POSITIVE_COLOUR = "#15803d"
NEGATIVE_COLOUR = "#b3261e"

# The S-curve drawn for the map: a logistic curve over a nominal "maturity" axis of 0-100.
# Its steepness keeps scores from 0.5 to 99.5 (the clamp below) inside the axis.
_CURVE_MIDPOINT = 50.0
_CURVE_SPREAD = 9.0


class HistoryPoint(NamedTuple):
    week_ending: datetime.date
    score: float  # 0-100
    stage: str
    decline_risk: float  # 0-100


class SignalMark(NamedTuple):
    observed_on: datetime.date
    name: str
    polarity: int  # +1 builds trust, -1 erodes it


def label(text: str) -> str:
    """`text` as Plotly shows it literally: its markup characters as the entities Plotly
    turns back into characters (&lt; &gt; &amp;), so a name like "<a href=...>" is not a link."""
    return html.escape(text, quote=False)


def s_curve_maturity(score: float) -> float:
    """Where on the S-curve's horizontal axis (0-100) a score (0-100) sits."""
    share = min(max(score, 0.5), 99.5) / 100
    return _CURVE_MIDPOINT + _CURVE_SPREAD * math.log(share / (1 - share))


def _s_curve_score(maturity: float) -> float:
    return 100 / (1 + math.exp(-(maturity - _CURVE_MIDPOINT) / _CURVE_SPREAD))


def _stage_bands(thresholds: Mapping[str, float]) -> list[tuple[Stage, float, float]]:
    """(stage, lower score, upper score) for the four stages, bottom up."""
    bounds = [0.0] + [float(thresholds[stage.value]) for stage in list(Stage)[1:]] + [100.0]
    return [(stage, bounds[i], bounds[i + 1]) for i, stage in enumerate(Stage)]


def history_figure(
    points: Sequence[HistoryPoint],
    marks: Sequence[SignalMark],
    *,
    thresholds: Mapping[str, float],
) -> dict[str, Any]:
    """Weekly score with the stage bands shaded, decline risk as a second line, and a marker
    wherever signals were logged (hover names them)."""
    traces = _score_and_risk_traces(points)
    if points and marks:
        traces += _signal_traces(points, marks)
    shapes, annotations = _stage_band_shapes(thresholds)
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
            "height": 320,
            "yaxis": {"range": [0, 100], "fixedrange": True, "title": {"text": "0-100"}},
            "xaxis": {"type": "date"},
            "legend": {"orientation": "h", "y": -0.18},
            "hovermode": "closest",
            "shapes": shapes,
            "annotations": annotations,
            "paper_bgcolor": "#fff",
            "plot_bgcolor": "#fff",
        },
    }


def _score_and_risk_traces(points: Sequence[HistoryPoint]) -> list[dict[str, Any]]:
    """The history's two lines: the weekly score (hover names the stage) and, dotted, the
    decline risk."""
    weeks = [point.week_ending.isoformat() for point in points]
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Score",
            "x": weeks,
            "y": [round(point.score, 1) for point in points],
            "customdata": [Stage(point.stage).label for point in points],
            "hovertemplate": "Week ending %{x}<br>Score %{y:.0f} (%{customdata})<extra></extra>",
            "line": {"color": SCORE_COLOUR, "width": 2.5},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Decline risk",
            "x": weeks,
            "y": [round(point.decline_risk, 1) for point in points],
            "hovertemplate": "Week ending %{x}<br>Decline risk %{y:.0f}<extra></extra>",
            "line": {"color": RISK_COLOUR, "width": 1.5, "dash": "dot"},
        },
    ]


def _stage_band_shapes(
    thresholds: Mapping[str, float],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The history's background: one shaded band per stage across the whole width, and the
    stage's name at the top left of its band."""
    shapes, annotations = [], []
    for stage, low, high in _stage_bands(thresholds):
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": low,
                "y1": high,
                "fillcolor": STAGE_COLOURS[stage],
                "line": {"width": 0},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "x": 0.005,
                "xanchor": "left",
                "yref": "y",
                "y": high - 1,
                "yanchor": "top",
                "text": stage.label,
                "showarrow": False,
                "font": {"size": 11, "color": "#5f6b7a"},
            }
        )
    return shapes, annotations


def _signal_traces(
    points: Sequence[HistoryPoint], marks: Sequence[SignalMark]
) -> list[dict[str, Any]]:
    """One marker per week with signals, sitting on the score line, coloured by what weighed
    more that week; hover lists every signal of the week."""
    score_of = {point.week_ending: point.score for point in points}
    first, last = points[0].week_ending, points[-1].week_ending
    weeks: dict[datetime.date, list[SignalMark]] = {}
    for mark in marks:
        week = mark.observed_on + datetime.timedelta(days=6 - mark.observed_on.weekday())
        if first <= week <= last:
            weeks.setdefault(week, []).append(mark)
    traces = []
    for polarity, name, colour, symbol in (
        (1, "Trust signals", POSITIVE_COLOUR, "triangle-up"),
        (-1, "Warning signals", NEGATIVE_COLOUR, "triangle-down"),
    ):
        chosen = [
            (week, group)
            for week, group in sorted(weeks.items())
            if (sum(mark.polarity for mark in group) >= 0) == (polarity > 0)
        ]
        if not chosen:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": [week.isoformat() for week, _ in chosen],
                "y": [round(score_of.get(week, 0.0), 1) for week, _ in chosen],
                "text": [
                    "<br>".join(
                        f"{'+' if m.polarity > 0 else '−'} {label(m.name)} ({m.observed_on:%d %b})"
                        for m in group
                    )
                    for _, group in chosen
                ],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {"color": colour, "size": 10, "symbol": symbol},
            }
        )
    return traces


def s_curve_figure(
    points: Sequence[HistoryPoint], *, thresholds: Mapping[str, float]
) -> dict[str, Any]:
    """The S-curve itself, one segment per stage, with the account's weekly path along it
    (faint to strong as time goes on) and where it stands now."""
    traces = _curve_segments(thresholds)
    if points:
        traces += _path_traces(points)
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 40, "r": 10, "t": 10, "b": 30},
            "height": 320,
            "xaxis": {
                "range": [0, 100],
                "showticklabels": False,
                "title": {"text": "maturity of the relationship"},
                "fixedrange": True,
            },
            "yaxis": {"range": [0, 100], "title": {"text": "score"}, "fixedrange": True},
            "hovermode": "closest",
            "paper_bgcolor": "#fff",
            "plot_bgcolor": "#fff",
        },
    }


def _curve_segments(thresholds: Mapping[str, float]) -> list[dict[str, Any]]:
    """The S-curve drawn as one thick segment per stage, in the stage's colour."""
    traces: list[dict[str, Any]] = []
    for stage, low, high in _stage_bands(thresholds):
        start, end = s_curve_maturity(max(low, 0.5)), s_curve_maturity(min(high, 99.5))
        steps = 24
        xs = [start + (end - start) * i / steps for i in range(steps + 1)]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": stage.label,
                "x": [round(x, 2) for x in xs],
                "y": [round(_s_curve_score(x), 2) for x in xs],
                "hoverinfo": "skip",
                "line": {"width": 8, "color": STAGE_LINE_COLOURS[stage]},
                "showlegend": False,
            }
        )
    return traces


def _path_traces(points: Sequence[HistoryPoint]) -> list[dict[str, Any]]:
    """The account's weekly path along the curve (older weeks fainter), and a large marker
    where it stands now, named by the stage it holds."""
    now = points[-1]
    return [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Path",
            "x": [round(s_curve_maturity(point.score), 2) for point in points],
            "y": [round(point.score, 1) for point in points],
            "text": [point.week_ending.isoformat() for point in points],
            "hovertemplate": "Week ending %{text}<br>Score %{y:.0f}<extra></extra>",
            "marker": {
                "size": 5,
                "color": list(range(len(points))),
                "colorscale": [[0, "#c7d2fe"], [1, SCORE_COLOUR]],
            },
            "line": {"color": "rgba(36, 87, 197, 0.25)", "width": 1},
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": "Now",
            "x": [round(s_curve_maturity(now.score), 2)],
            "y": [round(now.score, 1)],
            # The stage the account holds, gates and hysteresis included, not the band
            # its score alone would put it in.
            "text": [f"now: {Stage(now.stage).label}"],
            "textposition": "middle right",
            "hovertemplate": "Now: score %{y:.0f}<extra></extra>",
            "marker": {
                "size": 14,
                "color": SCORE_COLOUR,
                "line": {"color": "#fff", "width": 2},
            },
            "showlegend": False,
        },
    ]


# Decline risk 0-100 as a colour: calm green, amber, red.
RISK_COLOURSCALE = [[0.0, "#15803d"], [0.3, "#84cc16"], [0.6, "#f59e0b"], [1.0, "#b3261e"]]
# The risk band as a shape too, for whoever cannot tell the colours apart (WCAG 1.4.1); the
# map's caption names them (`portfolio_map_summary`).
RISK_SYMBOLS = {"low": "circle", "medium": "diamond", "high": "triangle-up"}
RISK_SHAPE_NAMES = {"low": "circles", "medium": "diamonds", "high": "triangles"}


def portfolio_map_figure(
    rows, *, bins: Sequence[tuple[int, int, int]], thresholds: Mapping[str, float], trails: bool
) -> dict[str, Any]:
    """The portfolio by score (across, the stages shaded) and decline risk (up): the whole
    view as counts per square of 5 x 5 points (`bins`: score square, risk square, accounts;
    empty when every account is drawn), and `rows` as markers on top, size by revenue, colour
    and shape by decline risk, hover for the details, and (optionally) a trail from where each
    stood 90 days ago.

    Each marker's customdata starts with the account id, which `layout.meta.clickable` turns
    into the account page's address when it is clicked. The figure's size is bounded by the
    squares (at most 400) and the rows the caller chose, not by the size of the book.
    """
    shapes, annotations = _stage_columns(thresholds)
    data: list[dict[str, Any]] = []
    if bins:
        data.append(_bins_trace(bins))
    points = _map_points(rows, trails=trails)
    if trails:
        data.append(_trails_trace(points))
    data.append(_accounts_trace(points))
    return {
        "data": data,
        "layout": {
            "margin": {"l": 45, "r": 10, "t": 24, "b": 40},
            "height": 420,
            "xaxis": {"range": [0, 100], "title": {"text": "score"}, "fixedrange": True},
            "yaxis": {"range": [0, 100], "title": {"text": "decline risk"}, "fixedrange": True},
            "hovermode": "closest",
            "shapes": shapes,
            "annotations": annotations,
            "paper_bgcolor": "#fff",
            "plot_bgcolor": "#fff",
            "meta": {"clickable": "/accounts/{id}/"},
        },
    }


def _stage_columns(
    thresholds: Mapping[str, float],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The map's background: one shaded column per stage along the score, named on top."""
    shapes, annotations = [], []
    for stage, low, high in _stage_bands(thresholds):
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "x0": low,
                "x1": high,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "fillcolor": STAGE_COLOURS[stage],
                "line": {"width": 0},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "xref": "x",
                "x": (low + high) / 2,
                "yref": "paper",
                "y": 1,
                "yanchor": "bottom",
                "text": stage.label,
                "showarrow": False,
                "font": {"size": 11, "color": "#5f6b7a"},
            }
        )
    return shapes, annotations


def _bins_trace(bins: Sequence[tuple[int, int, int]]) -> dict[str, Any]:
    """The whole view as grey squares, one per square of 5 x 5 points holding accounts, the
    marker's area by how many."""
    most = max(accounts for _, _, accounts in bins)
    return {
        "type": "scatter",
        "mode": "markers",
        "name": "Accounts per square",
        "x": [score * 5 + 2.5 for score, _, _ in bins],
        "y": [risk * 5 + 2.5 for _, risk, _ in bins],
        # The counts ride along for whoever reads the figure's data; the squares take no
        # hover or click, so that a point drawn over a square stays the one a click opens.
        "customdata": [
            [None, accounts, score * 5, score * 5 + 5, risk * 5, risk * 5 + 5]
            for score, risk, accounts in bins
        ],
        "hoverinfo": "skip",
        "marker": {
            "symbol": "square",
            "size": [round(4 + 18 * (accounts / most) ** 0.5, 1) for _, _, accounts in bins],
            "color": "rgba(71, 85, 105, 0.35)",
            "line": {"width": 0},
        },
        "showlegend": False,
    }


class _MapPoints(NamedTuple):
    """The map's accounts as Plotly's columns (one entry per account), and their trails as
    line segments separated by None."""

    xs: list[float]
    ys: list[float]
    sizes: list[float]
    colours: list[int]
    symbols: list[str]
    custom: list[list[Any]]
    trail_x: list[float | None]
    trail_y: list[float | None]


def _map_points(rows, *, trails: bool) -> _MapPoints:
    """Every row's point, in one pass."""
    largest = max((float(row.revenue) for row in rows), default=0.0) or 1.0
    xs, ys, sizes, colours, symbols, custom = [], [], [], [], [], []
    trail_x: list[float | None] = []
    trail_y: list[float | None] = []
    for row in rows:
        xs.append(round(row.score, 1))
        ys.append(round(row.decline_risk, 1))
        # Area proportional to revenue, from 5 px for the smallest up to 30 px.
        sizes.append(round(5 + 25 * (float(row.revenue) / largest) ** 0.5, 1))
        risk = round(row.decline_risk)
        colours.append(risk)
        symbols.append(RISK_SYMBOLS[row.risk_band])
        custom.append(
            [
                row.account_id,
                label(row.name),
                label(row.owner_name),
                row.stage.label,
                risk,
                risk_driver_label(row.top_driver_key) if row.top_driver_key else "none",
                row.risk_band,
            ]
        )
        if trails and _moved(row):
            trail_x += [round(row.score_90, 1), xs[-1], None]
            trail_y += [round(row.decline_risk_90, 1), ys[-1], None]
    return _MapPoints(xs, ys, sizes, colours, symbols, custom, trail_x, trail_y)


def _moved(row) -> bool:
    """Whether the row stood a point or more elsewhere 90 days ago (known for that week)."""
    past_score = row.score_90
    past_risk = getattr(row, "decline_risk_90", None)
    if past_score is None or past_risk is None:
        return False
    return abs(row.score - past_score) >= 1 or abs(row.decline_risk - past_risk) >= 1


def _trails_trace(points: _MapPoints) -> dict[str, Any]:
    """Faint lines from where each account stood 90 days ago to where it stands now."""
    return {
        "type": "scatter",
        "mode": "lines",
        "name": "90 days ago → now",
        "x": points.trail_x,
        "y": points.trail_y,
        "hoverinfo": "skip",
        "line": {"color": "rgba(95, 107, 122, 0.35)", "width": 1},
        "showlegend": False,
    }


def _accounts_trace(points: _MapPoints) -> dict[str, Any]:
    """The accounts as markers: size by revenue, colour (and shape) by decline risk."""
    return {
        "type": "scatter",
        "mode": "markers",
        "name": "Accounts",
        "x": points.xs,
        "y": points.ys,
        "customdata": points.custom,
        "hovertemplate": (
            "<b>%{customdata[1]}</b><br>%{customdata[2]}<br>%{customdata[3]}, "
            "score %{y:.0f}<br>decline risk %{customdata[4]}, %{customdata[6]} "
            "(%{customdata[5]})<extra></extra>"
        ),
        "marker": {
            "size": points.sizes,
            "color": points.colours,
            "symbol": points.symbols,
            "cmin": 0,
            "cmax": 100,
            "colorscale": RISK_COLOURSCALE,
            "colorbar": {"title": {"text": "risk"}, "thickness": 10},
            "line": {"color": "#fff", "width": 0.5},
            "opacity": 0.85,
        },
        "showlegend": False,
    }


# The charts in words: each chart's caption, for whoever does not see the chart (WCAG 1.1.1).
# The figures they sum up are on the same page in text as well (the header, "why this stage",
# the dashboard's lists).


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def history_summary(points: Sequence[HistoryPoint]) -> str:
    """The weekly history in one sentence: where score (0-100), stage and decline risk (0-100)
    started and where they stand now."""
    if not points:
        return ""
    first, last = points[0], points[-1]
    weeks = len(points)
    return (
        f"{weeks} week{'s' if weeks != 1 else ''} from {_day(first.week_ending)} to "
        f"{_day(last.week_ending)}: score {first.score:.0f} ({Stage(first.stage).label}) to "
        f"{last.score:.0f} ({Stage(last.stage).label}), decline risk {first.decline_risk:.0f} "
        f"to {last.decline_risk:.0f}."
    )


def s_curve_summary(points: Sequence[HistoryPoint]) -> str:
    """Where the account stands on the S-curve now, in one sentence."""
    if not points:
        return ""
    now = points[-1]
    return (
        f"The account stands at {Stage(now.stage).label.lower()} with a score of "
        f"{now.score:.0f}; the path shows each of its {len(points)} weeks along the curve."
    )


def portfolio_map_summary(
    risk_bands: Mapping[str, int], *, drawn: int, every_point_up_to: int
) -> str:
    """How many accounts the map holds in each risk band, the shape each band is drawn with,
    and how many of them are drawn one by one (the rest are counted in the grey squares)."""
    total = sum(risk_bands.values())
    bands = ", ".join(
        f"{risk_bands.get(band, 0):,} {band} risk ({RISK_SHAPE_NAMES[band]})"
        for band in RISK_SYMBOLS
    )
    summary = f"{total:,} account{'s' if total != 1 else ''}: {bands}."
    if drawn < total:
        summary += (
            f" The {drawn:,} riskiest are drawn one by one; grey squares count every account"
            " in each 5-point square of score and decline risk. Narrow the filters to"
            f" {every_point_up_to:,} accounts or fewer to see each of them."
        )
    return summary
