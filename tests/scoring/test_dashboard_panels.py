"""The dashboard's panels against a hand-built portfolio whose answers are known (no database)."""

import json
from decimal import Decimal

from scoring.dashboard import panels
from scoring.dashboard.panels import PortfolioRow
from scoring.engine import Stage

V, C, S, P = Stage.VENDOR, Stage.CONFIDANT, Stage.CONSULTANT, Stage.VIRTUAL_PARTNER


def row(pk, stage, score, risk, revenue, *, owner=1, potential="unknown", drivers=(), **past):
    return PortfolioRow(
        account_id=pk,
        name=f"Account {pk}",
        owner_id=owner,
        owner_name=f"Manager {owner}",
        industry="Retail",
        revenue=Decimal(revenue),
        potential=potential,
        status="active",
        score=score,
        stage=stage,
        decline_risk=risk,
        risk_band="high" if risk >= 60 else "medium" if risk >= 30 else "low",
        next_stage_gap="",
        drivers_json=json.dumps([list(d) for d in drivers]),
        top_driver_key=drivers[0][0] if drivers else "",
        **past,
    )


PORTFOLIO = [
    row(
        1,
        V,
        10,
        70,
        100_000,
        score_30=20,
        stage_30=V,
        score_90=30,
        stage_90=C,
        drivers=[("silence", 25, "no contact for 90 days; usually every 14")],
        potential="regular",
    ),
    row(
        2,
        C,
        40,
        20,
        200_000,
        score_30=35,
        stage_30=C,
        score_90=20,
        stage_90=V,
        potential="could_partner",
    ),
    row(
        3,
        S,
        60,
        50,
        300_000,
        owner=2,
        score_30=50,
        stage_30=C,
        score_90=50,
        stage_90=C,
        drivers=[("perception_gap", 10, "client sees vendor, evidence says consultant")],
    ),
    row(
        4,
        P,
        90,
        0,
        400_000,
        owner=2,
        score_30=91,
        stage_30=P,
        score_90=85,
        stage_90=P,
        potential="strategic",
    ),
]


def _totals(rows) -> list[panels.StageTotals]:
    """Each stage's totals, as the database sums them."""
    totals = {stage: panels.StageTotals(stage) for stage in Stage}
    for r in rows:
        stage = totals[r.stage]
        stage.accounts += 1
        stage.revenue += r.revenue
        stage.revenue_at_risk += float(r.revenue) * r.decline_risk / 100
        stage.revenue_squared += float(r.revenue) ** 2
    return list(totals.values())


def test_tiles_count_accounts_revenue_partnerships_risk_and_concentration():
    tiles = panels.tiles(_totals(PORTFOLIO), largest_account=PORTFOLIO[3])

    assert [(t.stage, t.accounts, t.revenue) for t in tiles.stages] == [
        (V, 1, 100_000),
        (C, 1, 200_000),
        (S, 1, 300_000),
        (P, 1, 400_000),
    ]
    assert tiles.partnerships == 2
    # 100k x 0.70 + 200k x 0.20 + 300k x 0.50 + 400k x 0
    assert tiles.revenue_at_risk == Decimal(260_000)
    assert tiles.largest_account.account_id == 4
    assert tiles.largest_share == 0.4
    # shares .1 .2 .3 .4 -> (.01 + .04 + .09 + .16) x 10,000
    assert round(tiles.herfindahl) == 3000
    assert tiles.concentrated


def test_a_spread_portfolio_is_not_flagged_as_concentrated():
    spread = [row(n, V, 10, 0, 1000) for n in range(10)]
    tiles = panels.tiles(_totals(spread), largest_account=spread[0])
    assert round(tiles.herfindahl) == 1000 and tiles.largest_share == 0.1
    assert not tiles.concentrated


def test_an_empty_view_has_no_largest_account():
    tiles = panels.tiles(_totals([]), largest_account=None)
    assert (tiles.accounts, tiles.largest_account, tiles.herfindahl) == (0, None, 0.0)
    assert not tiles.concentrated


def test_movers_over_30_and_90_days():
    climbers, sliders = panels.movers(PORTFOLIO, days=30)
    assert [(m.row.account_id, m.change) for m in climbers] == [(3, 10), (2, 5)]
    assert [(m.row.account_id, m.change) for m in sliders] == [(1, -10), (4, -1)]
    steady = [row(9, C, 40.2, 0, 1, score_30=40, stage_30=C)]
    assert panels.movers(steady, days=30) == ([], [])  # under half a point is noise

    climbers, sliders = panels.movers(PORTFOLIO, days=90)
    assert [(m.row.account_id, m.change) for m in climbers] == [(2, 20), (3, 10), (4, 5)]
    assert [(m.row.account_id, m.change) for m in sliders] == [(1, -20)]


def test_stage_transitions_count_moves_between_different_stages():
    counts = panels.Transitions({(C, V): 1, (V, C): 1, (C, S): 1, (P, P): 1})
    assert counts.moved == 3
    assert counts.matrix()[1] == (C, [1, 0, 1, 0])


def test_at_risk_partners_neglect_and_perception_gaps():
    assert [r.account_id for r in panels.at_risk(PORTFOLIO)] == [1, 3, 2]
    assert [r.account_id for r in panels.could_become_partners(PORTFOLIO)] == [2]
    assert [r.account_id for r in panels.neglected_regulars(PORTFOLIO)] == [1]
    assert [r.account_id for r in panels.perception_gaps(PORTFOLIO)] == [3]
