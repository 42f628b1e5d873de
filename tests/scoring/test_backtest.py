"""Backtesting a profile against what happened: leads, false alarms, AUC and baselines."""

import datetime
import json
import math
import random
import tracemalloc
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from accounts.models import Account
from scoring.backtest import HORIZON_WEEKS, Backtest, Weeks, roc_auc
from scoring.engine import DEFAULTS, Stage, WeekPoint, score_timeline
from scoring.jobs.backtest_run import backtest_reports
from scoring.models import BacktestRun, ScoreSnapshot
from scoring.selectors import evidence_for_accounts, profile_active
from scoring.services import profile_activate, profile_create
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

    report = test.report(profile=7)
    rows = {row["name"]: row for row in report["per_account"]}
    assert [(name, rows[name]["lead_weeks"]) for name in ("Early", "Late", "Silent")] == [
        ("Early", 9),
        ("Late", 2),
        ("Silent", None),
    ]
    assert report["warned_share"] == 1 / 3
    assert (report["lost"], report["retained"]) == (3, 3)
    assert [name for name, row in rows.items() if row["false_alarm"]] == ["Nervous"]
    assert report["false_alarm_rate"] == 1 / 3
    assert report["median_lead_weeks"] == 2  # of 9, 2 and a loss never warned (0)
    assert rows["Early"] | {"lead_weeks": None} == {
        "external_id": "",
        "name": "Early",
        "status": "lost",
        "lost_on": "2026-06-03",
        "lead_weeks": None,
        "false_alarm": False,
    }


@given(
    st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=2, max_size=300).filter(
        lambda rows: 0 < sum(label for _, label in rows) < len(rows)
    )
)
def test_the_auc_is_the_one_scikit_learn_computes_ties_included(rows):
    scores = np.array([score for score, _ in rows], dtype=float)
    labels = np.array([label for _, label in rows])
    assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))


def _random_book(rnd: random.Random, test: Backtest) -> list[tuple[float, bool]]:
    """Feed `test` a book of kept and lost accounts with random risks (to 0-3 decimals) and
    contacts; return every week whose outcome is known, as (its risk, lost within the horizon)."""
    known_weeks = []
    for pk in range(1, 120):
        weeks = rnd.randint(0, 120)
        lost_on = (
            AS_OF - datetime.timedelta(days=rnd.randint(0, 500)) if rnd.random() < 0.3 else None
        )
        end = lost_on or AS_OF
        timeline = _timeline(
            end, [round(rnd.random() * 100, rnd.randint(0, 3)) for _ in range(weeks)]
        )
        contacts = [end - datetime.timedelta(days=rnd.randint(0, 7 * weeks + 30)) for _ in range(9)]
        test.add(
            account_id=pk, name=f"A{pk}", lost_on=lost_on, timeline=timeline, contacts=contacts
        )
        horizon = datetime.timedelta(weeks=HORIZON_WEEKS)
        known_weeks += [
            (
                float(np.round(point.decline_risk, 2)),
                lost_on is not None and lost_on - min(point.week_ending, end) < horizon,
            )
            for point in timeline
            if lost_on is not None or point.week_ending <= AS_OF - horizon
        ]
    return known_weeks


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_book_tallied_a_few_weeks_at_a_time_reports_what_it_does_at_once(seed, monkeypatch):
    """The backtest counts weeks by score as they arrive instead of keeping them: the report
    is the same however many weeks wait to be counted, and its AUC is scikit-learn's over
    every week whose outcome is known."""
    from scoring import backtest

    at_once = Backtest(high=60, as_of=AS_OF)
    known_weeks = _random_book(random.Random(seed), at_once)
    monkeypatch.setattr(backtest, "WEEKS_PER_TALLY", 7)
    few_at_a_time = Backtest(high=60, as_of=AS_OF)
    _random_book(random.Random(seed), few_at_a_time)

    report = few_at_a_time.report(profile=1)
    assert report == at_once.report(profile=1)
    risks, labels = zip(*known_weeks, strict=True)
    assert report["auc"] == pytest.approx(roc_auc_score(labels, risks))
    assert report["lost"] > 0 and any(row["false_alarm"] for row in report["per_account"])


def test_a_week_whose_risk_is_not_a_number_stops_the_backtest_rather_than_skew_it():
    test = Backtest(high=60, as_of=AS_OF)
    with pytest.raises(ValueError, match="Account 7 has a week whose decline risk is not a number"):
        test.add(
            account_id=7, name="Corrupt", lost_on=None, timeline=_timeline(AS_OF, [70, math.nan])
        )


def test_longer_histories_cost_the_backtest_no_more_memory(monkeypatch):
    """What a backtest holds grows with the number of accounts, not with their weeks: three
    years of weekly history cost it what five months do."""
    from scoring import backtest

    monkeypatch.setattr(backtest, "WEEKS_PER_TALLY", 1_000)

    def held(weeks: int) -> int:
        timelines = [_timeline(AS_OF, [float(pk % 90)] * weeks) for pk in range(1_000)]
        tracemalloc.start()
        test = Backtest(high=60, as_of=AS_OF)
        for pk, timeline in enumerate(timelines):
            test.add(account_id=pk, name="Kept", lost_on=None, timeline=timeline)
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(test.accounts) == 1_000
        return size

    assert held(150) < 1.25 * held(20)


def test_without_both_outcomes_there_is_no_auc_and_no_verdict():
    assert roc_auc(np.array([1.0, 2.0]), np.array([False, False])) is None
    test = Backtest(high=60, as_of=AS_OF)
    test.add(account_id=1, name="Calm", lost_on=None, timeline=_timeline(AS_OF, [10] * 30))
    report = test.report(profile=1)
    assert report["auc"] is None and report["verdict"].startswith("No verdict yet")


def test_a_profile_that_silence_beats_is_told_so_and_unknown_outcomes_are_left_out():
    lost_on = datetime.date(2026, 6, 3)
    weekly = [AS_OF - datetime.timedelta(weeks=n) for n in range(60)]
    test = Backtest(high=60, as_of=AS_OF)
    # The risk only rises in the loss's own week; contact had stopped months before.
    test.add(
        account_id=1,
        name="Gone quiet",
        lost_on=lost_on,
        timeline=_timeline(lost_on, [10, 20, 30, 80]),
        contacts=[lost_on - datetime.timedelta(days=200)],
    )
    # Kept, met every week, risk 40 throughout, except a scare in its last weeks, whose
    # outcome is not known yet: it must not count for or against the profile.
    test.add(
        account_id=2,
        name="Kept",
        lost_on=None,
        timeline=_timeline(AS_OF, [40] * 30 + [90] * 5),
        contacts=weekly,
    )
    report = test.report(profile=3)
    # Positives 10, 20, 30 and 80 against the kept weeks at 40: only 80 ranks above them.
    assert report["auc"] == pytest.approx(1 / 4)
    silence = report["baselines"]["days_since_contact"]
    assert silence["auc"] == 1.0 and silence["warned_share"] == 0.0
    assert report["baselines"]["recent_activity"]["auc"] == 1.0
    assert report["verdict"] == (
        "Ranks the accounts about to be lost no better than chance (AUC 0.25; days since "
        "last contact 1.00; contacts in the last 90 days 1.00): not worth tuning as it stands."
    )


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
    waiting = queued.content.decode()
    assert "Queued for the background worker" in waiting and "0 of 2 accounts" in waiting
    assert 'hx-trigger="every 2s"' in waiting  # the card polls until the run is done
    work_the_queue()

    run = BacktestRun.objects.get()
    assert (run.status, run.accounts_done, run.accounts_total) == ("done", 2, 2)
    draft_result, live_result = run.result["profile"], run.result["baseline"]
    lost = [row for row in draft_result["per_account"] if row["status"] == "lost"]
    assert [row["name"] for row in lost] == ["Gone"]
    assert lost[0]["lead_weeks"] is not None
    assert draft_result["retained"] == live_result["retained"] == 1
    assert draft_result["false_alarm_rate"] == 1.0  # everything is high risk
    page = client.get(reverse("profile-draft", args=[draft.version])).content.decode()
    assert "Losses warned 8+ weeks ahead" in page and "live v1" in page
    assert "days since last contact" in page and "contacts in the last 90 days" in page
    assert draft_result["verdict"] in page.replace("&#x27;", "'")
    assert 'hx-trigger="every 2s"' not in page


def test_a_backtest_in_chunks_reports_what_one_pass_does(alice, monkeypatch):
    from scoring.jobs import backtest_run

    for name in ("Kept", "Also kept"):
        _history(AccountFactory(owner=alice, name=name), weeks=20)
    gone = AccountFactory(
        owner=alice, name="Gone", status="lost", lost_on=datetime.date(2026, 4, 1)
    )
    _history(gone, weeks=8)
    # Archived without a loss: no outcome to judge, so neither read nor counted.
    _history(AccountFactory(owner=alice, name="Duplicate", status="archived"), weeks=8)
    versions = {"profile": profile_active()}
    as_of = datetime.date(2026, 11, 22)
    whole = backtest_reports(versions, as_of=as_of)

    monkeypatch.setattr(backtest_run, "CHUNK", 2)
    seen: list[tuple[int, int]] = []
    chunked = backtest_reports(versions, as_of=as_of, progress=lambda *done: seen.append(done))

    assert chunked == whole
    assert (whole["profile"]["lost"], whole["profile"]["retained"]) == (1, 2)
    assert seen == [(0, 3), (2, 3), (3, 3)]  # the page's total is right from the start


def test_a_backtest_run_before_this_report_asks_to_be_run_again(client, sam):
    run = BacktestRun.objects.create(
        profile=profile_active(),
        status="done",
        result={"profile": {"lost": [], "retained": 3}, "baseline": {"lost": [], "retained": 3}},
    )
    client.force_login(sam)
    page = client.get(reverse("profile-draft", args=[run.profile.version])).content.decode()
    assert "lacks today's figures: run it again" in page.replace("&#x27;", "'")


def test_the_what_if_counts_stages_names_movers_and_revenue_at_risk():
    from scoring.what_if import WhatIf

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


# The command ---------------------------------------------------------------------------------


def _book(owner):
    kept = AccountFactory(owner=owner, name="Kept", external_id="K-1")
    _history(kept, weeks=20)
    gone = AccountFactory(
        owner=owner,
        name="Gone",
        external_id="G-1",
        status="lost",
        lost_on=datetime.date(2026, 4, 1),
    )
    _history(gone, weeks=8)


def _backtest_scores(*args) -> str:
    out = StringIO()
    call_command("backtest_scores", "--as-of", "2026-11-22", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_backtest_scores_prints_one_json_object_with_every_figure(alice):
    _book(alice)

    report = json.loads(_backtest_scores("--json"))

    assert {
        "profile",
        "lead_goal_weeks",
        "lost",
        "retained",
        "warned_share",
        "false_alarm_rate",
        "median_lead_weeks",
        "auc",
        "baselines",
        "per_account",
    } <= set(report)
    assert (report["profile"], report["lead_goal_weeks"]) == (1, 8)
    assert (report["lost"], report["retained"]) == (1, 1)
    assert set(report["baselines"]) == {"days_since_contact", "recent_activity"}
    for baseline in report["baselines"].values():
        assert set(baseline) == {"warned_share", "false_alarm_rate", "auc"}
    gone, kept = report["per_account"]
    assert gone == {
        "external_id": "G-1",
        "name": "Gone",
        "status": "lost",
        "lost_on": "2026-04-01",
        "lead_weeks": gone["lead_weeks"],
        "false_alarm": False,
    }
    assert gone["lead_weeks"] is None or isinstance(gone["lead_weeks"], int)
    assert (kept["external_id"], kept["status"], kept["lost_on"], kept["lead_weeks"]) == (
        "K-1",
        "retained",
        None,
        None,
    )


def test_an_account_archived_without_a_loss_is_left_out_of_the_backtest(alice):
    _book(alice)
    duplicate = AccountFactory(owner=alice, name="Duplicate", external_id="D-1")
    _history(duplicate, weeks=20)
    duplicate.status = "archived"
    duplicate.save()
    archived_loss = AccountFactory(
        owner=alice, name="Gone long ago", external_id="G-2", status="archived"
    )
    archived_loss.lost_on = datetime.date(2026, 3, 1)
    archived_loss.save()
    _history(archived_loss, weeks=8)

    report = json.loads(_backtest_scores("--json"))

    assert {row["external_id"] for row in report["per_account"]} == {"K-1", "G-1", "G-2"}
    assert (report["lost"], report["retained"]) == (2, 1)


def test_backtest_scores_reads_as_a_report_for_people(alice):
    _book(alice)
    draft = profile_create(params={**DEFAULTS, "risk_bands": {"medium": 1, "high": 2}})

    text = _backtest_scores("--profile", str(draft.version))

    assert text.startswith(
        f"Backtest of scoring profile v{draft.version} as of 2026-11-22: "
        "1 lost and 1 kept accounts."
    )
    header, mine = text.splitlines()[1:3]
    assert header.split() == ["warned", "8+", "wk", "false", "alarms", "AUC"]
    assert mine.split()[:3] == [f"v{draft.version}", "100%", "100%"]  # everything is high
    assert "G-1  Gone  lost 2026-04-01  warned" in text
    assert "Kept accounts that sat in the high band in the last year:\n  K-1  Kept" in text


@pytest.mark.django_db
def test_backtest_scores_explains_a_wrong_version_or_date():
    with pytest.raises(CommandError, match="There is no profile version 9; versions: 1."):
        _backtest_scores("--profile", "9")
    with pytest.raises(CommandError, match="'2026-13-01' is not a date; use YYYY-MM-DD."):
        call_command("backtest_scores", "--as-of", "2026-13-01", stdout=StringIO())


# The demo portfolio --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_portfolio_meets_the_targets_under_the_default_profile():
    """The demo tells every decline story of docs/model.md once or more, beside kept accounts with
    rough patches; the default profile must warn of its losses in time, seldom cry wolf, and
    rank the accounts about to be lost clearly better than both rules of thumb."""
    call_command("seed_demo", "--as-of", "2026-11-22", stdout=StringIO())

    report = backtest_reports({"default": profile_active()}, as_of=AS_OF)["default"]

    assert report["lost"] >= 8
    assert report["warned_share"] >= 0.8
    assert report["false_alarm_rate"] <= 0.10
    for baseline in report["baselines"].values():
        assert report["auc"] >= baseline["auc"] + 0.05
    assert report["verdict"].startswith("Beats both rules of thumb")


def test_a_draft_that_warns_differently_from_live_is_told_so_beside_the_verdict(client, alice, sam):
    _book(alice)
    # Everything in the high band: every loss warned of, and every kept account flagged.
    draft = profile_create(params={**DEFAULTS, "risk_bands": {"medium": 1, "high": 2}})
    run = BacktestRun.objects.create(profile=draft, baseline=profile_active())
    from scoring.jobs.backtest_run import backtest_execute

    backtest_execute(run.pk, as_of=AS_OF)
    client.force_login(sam)
    page = client.get(reverse("profile-draft", args=[draft.version])).content.decode()

    line = page[page.index('data-testid="against-live"') :]
    assert line.split("</p>")[0].endswith(
        "<strong>Warns of more losses in time than live v1 (100% against 0%).</strong>"
    )


@pytest.mark.django_db
def test_backtest_scores_will_not_backtest_the_future():
    with pytest.raises(CommandError, match="is after today: what happens next is not known"):
        call_command("backtest_scores", "--as-of", "2099-01-01", stdout=StringIO())


def test_a_lost_account_with_nothing_logged_is_a_loss_never_warned_of():
    test = Backtest(high=60, as_of=AS_OF)
    test.add(account_id=1, name="Kept", lost_on=None, timeline=_timeline(AS_OF, [10] * 30))
    test.add(account_id=2, name="Empty", lost_on=datetime.date(2026, 6, 1), timeline=[])
    test.add(account_id=3, name="Never started", lost_on=None, timeline=[])
    report = test.report(profile=1)
    assert (report["lost"], report["retained"]) == (1, 1)
    assert report["warned_share"] == 0.0
    assert [row["name"] for row in report["per_account"]] == ["Empty", "Kept"]
    # With no loss at all there is no share to speak of.
    nothing_lost = Backtest(high=60, as_of=AS_OF)
    nothing_lost.add(account_id=1, name="Kept", lost_on=None, timeline=_timeline(AS_OF, [10]))
    assert nothing_lost.report(profile=1)["warned_share"] is None


def test_the_verdict_says_which_rule_of_thumb_beats_the_profile():
    from scoring.backtest import verdict

    def report(mine, silence, activity):
        return {
            "auc": mine,
            "baselines": {
                "days_since_contact": {"auc": silence},
                "recent_activity": {"auc": activity},
            },
        }

    assert verdict(report(0.4, 0.3, 0.2)).startswith("Ranks the accounts about to be lost")
    assert verdict(report(0.6, 0.7, 0.5)).startswith("Does not beat days since last contact")
    assert verdict(report(0.6, 0.5, 0.7)).startswith(
        "Beats days since last contact but not recent activity"
    )
    assert verdict(report(0.8, 0.7, 0.6)).startswith("Beats both rules of thumb")


@pytest.mark.django_db
def test_the_live_version_is_read_from_its_snapshots_as_scoring_it_again_gives_it(monkeypatch):
    """The live version's weeks are stored; the backtest reads them instead of scoring every
    account again, and reports what scoring again reports. The week in progress was stored on
    an earlier day (a Wednesday here), so its risk is taken as of the backtest's day."""
    from scoring.jobs import backtest_run

    call_command("seed_demo", "--as-of", "2026-11-18", stdout=StringIO())
    as_of = datetime.date(2026, 11, 21)  # the Saturday of the same week
    live = profile_active()
    # One account fell behind (its newest week is gone) and is scored again instead.
    behind = ScoreSnapshot.objects.filter(profile=live, is_latest=True).order_by("pk").first()
    assert behind is not None
    behind.delete()
    scored: list[object] = []
    timeline = backtest_run.score_timeline

    def counted(evidence, engine, **options):
        scored.append(evidence)
        return timeline(evidence, engine, **options)

    # Week by week, what is read is what scoring again gives, to the hundredth as stored.
    ids = list(Account.objects.values_list("pk", flat=True))
    evidence = evidence_for_accounts(account_ids=ids)
    engine = live.engine_profile()
    snapshots = backtest_run.snapshot_weeks(live.pk, ids)
    stored = backtest_run.stored_weeks(snapshots, evidence, engine, as_of=as_of)
    assert set(stored) == set(ids) - {behind.account_id}
    for pk, weeks in stored.items():
        again = Weeks.of(score_timeline(evidence[pk], engine, as_of=as_of))
        assert list(weeks.week_ending) == list(again.week_ending)
        assert list(np.round(weeks.risk, 2)) == list(np.round(again.risk, 2))

    monkeypatch.setattr(backtest_run, "score_timeline", counted)
    read = backtest_reports({"live": live}, as_of=as_of)["live"]

    assert len(scored) == 1  # the account behind, alone
    monkeypatch.setattr(backtest_run, "stored_weeks", lambda *args, **kwargs: {})
    scored_again = backtest_reports({"live": live}, as_of=as_of)["live"]
    assert len(scored) == 1 + read["lost"] + read["retained"]
    assert read == scored_again


@pytest.mark.django_db
def test_a_version_replaced_during_the_backtest_is_scored_not_read(monkeypatch):
    """Once another version goes live, the old one's snapshots are no longer kept current
    (an edit of the evidence rescores only the live version): the rest of the run scores it."""
    from scoring.jobs import backtest_run

    call_command("seed_demo", "--as-of", "2026-11-18", stdout=StringIO())
    old = profile_active()  # as the run loaded it when it started
    profile_activate(profile=profile_create(params=old.params))
    scored: list[object] = []
    timeline = backtest_run.score_timeline

    def counted(evidence, engine, **options):
        scored.append(evidence)
        return timeline(evidence, engine, **options)

    monkeypatch.setattr(backtest_run, "score_timeline", counted)

    report = backtest_reports({"old": old}, as_of=datetime.date(2026, 11, 21))["old"]

    assert old.is_active  # the run's own copy still says so
    assert len(scored) == report["lost"] + report["retained"] > 0
