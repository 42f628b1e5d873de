"""Backtesting a profile against the accounts actually lost."""

import datetime

from django.urls import reverse

from scoring.backtest import Backtest
from scoring.engine import DEFAULTS, Stage, WeekPoint
from scoring.models import BacktestRun
from scoring.services import profile_create
from tests.conftest import work_the_queue
from tests.factories import AccountFactory
from tests.scoring.test_services import _history

AS_OF = datetime.date(2026, 11, 22)  # a Sunday


def _timeline(end: datetime.date, risks: list[float]) -> list[WeekPoint]:
    """Weekly points ending the week of `end`, with these decline risks, oldest first."""
    last = end + datetime.timedelta(days=6 - end.weekday())
    weeks = len(risks)
    return [
        WeekPoint(last - datetime.timedelta(weeks=weeks - 1 - i), 50.0, Stage.CONFIDANT, risk)
        for i, risk in enumerate(risks)
    ]


def test_lead_times_warned_share_and_false_alarms_on_a_hand_built_book():
    lost_on = datetime.date(2026, 6, 3)  # a Wednesday
    test = Backtest(high=60, as_of=AS_OF)
    # Risk high from the week ending 29 Mar (9 whole weeks before the loss), from the week
    # ending 17 May (2 weeks before), and never.
    test.add(
        account_id=1,
        name="Early",
        lost_on=lost_on,
        timeline=_timeline(lost_on, [10] * 5 + [70] * 11),
    )
    test.add(
        account_id=2,
        name="Late",
        lost_on=lost_on,
        timeline=_timeline(lost_on, [10] * 12 + [65] * 4),
    )
    test.add(account_id=3, name="Silent", lost_on=lost_on, timeline=_timeline(lost_on, [20] * 16))
    # Retained: one sat in the high band this year, one never did, one only long ago.
    test.add(account_id=4, name="Nervous", lost_on=None, timeline=_timeline(AS_OF, [70, 10, 10]))
    test.add(account_id=5, name="Calm", lost_on=None, timeline=_timeline(AS_OF, [10] * 60))
    test.add(
        account_id=6, name="Old scare", lost_on=None, timeline=_timeline(AS_OF, [90] + [10] * 60)
    )

    summary = test.summary
    assert [(lead.name, lead.lead_weeks) for lead in summary.lost] == [
        ("Early", 9),
        ("Late", 2),
        ("Silent", None),
    ]
    assert summary.warned_share == 1 / 3
    assert (summary.retained, summary.false_alarms) == (3, 1)
    assert summary.false_alarm_rate == 1 / 3


def test_a_backtest_runs_in_the_background_and_shows_both_versions(
    client, alice, sam, django_capture_on_commit_callbacks
):
    kept = AccountFactory(owner=alice, name="Kept")
    _history(kept, weeks=20)
    gone = AccountFactory(
        owner=alice, name="Gone", status="lost", lost_on=datetime.date(2026, 4, 1)
    )
    _history(gone, weeks=8)
    # A draft that calls everything high risk warns of every loss, with false alarms.
    draft = profile_create(params={**DEFAULTS, "risk_bands": {"medium": 1, "high": 2}})
    client.force_login(sam)

    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(
            reverse("profile-backtest", args=[draft.version]), HTTP_HX_REQUEST="true"
        )
    assert "history under both versions in the background" in queued.content.decode()
    work_the_queue()

    run = BacktestRun.objects.get()
    assert run.status == "done"
    draft_result, live_result = run.result["profile"], run.result["baseline"]
    assert [lead["name"] for lead in draft_result["lost"]] == ["Gone"]
    assert draft_result["lost"][0]["lead_weeks"] is not None
    assert draft_result["retained"] == live_result["retained"] == 1
    page = client.get(reverse("profile-draft", args=[draft.version])).content.decode()
    assert "Lost accounts warned 8+ weeks ahead" in page and "live v1" in page


def test_the_what_if_counts_stages_names_movers_and_revenue_at_risk():
    from scoring.backtest import WhatIf

    week = datetime.date(2026, 11, 22)

    def point(stage, score, risk, gap=""):
        return WeekPoint(week, score, stage, risk, next_stage_gap=gap)

    what_if = WhatIf()
    what_if.add(
        account_id=1,
        name="Up",
        revenue=100_000,
        live=point(Stage.CONFIDANT, 54, 10),
        draft=point(Stage.CONSULTANT, 58, 10),
    )
    what_if.add(
        account_id=2,
        name="Down",
        revenue=200_000,
        live=point(Stage.CONSULTANT, 56, 20),
        draft=point(Stage.CONFIDANT, 50, 40, "consultant needs 10 more points"),
    )
    what_if.add(
        account_id=3,
        name="Same",
        revenue=50_000,
        live=point(Stage.VENDOR, 10, 0),
        draft=point(Stage.VENDOR, 12, 0),
    )

    assert what_if.stages_live == {"confidant": 1, "consultant": 1, "vendor": 1}
    assert what_if.stages_draft == {"consultant": 1, "confidant": 1, "vendor": 1}
    assert [(c.name, c.before, c.after) for c in what_if.changes] == [
        ("Up", "confidant", "consultant"),
        ("Down", "consultant", "confidant"),
    ]
    assert what_if.changes[1].reason == "consultant needs more: consultant needs 10 more points"
    # 100k x .10 + 200k x .20 (live) against 100k x .10 + 200k x .40 (draft)
    assert (what_if.revenue_at_risk_live, what_if.revenue_at_risk_draft) == (50_000, 90_000)
