"""A scoring admin changes a weight, sees the preview move, applies the draft and watches it
go live."""

import datetime

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from relationships.models import SignalType, TrustSignal
from scoring.selectors import profile_active
from scoring.services import account_rescore
from tests.browser.conftest import login, screenshot, worker_runs_the_queue
from tests.conftest import ensure_migrated_rows
from tests.factories import UserFactory


def test_an_admin_changes_a_weight_sees_the_preview_move_applies_it_and_sees_the_rollout_finish(
    page, alices_account
):
    ensure_migrated_rows()
    sam = UserFactory(username="sam", first_name="Sam", last_name="Admin")
    sam.groups.add(Group.objects.get(name=roles.SCORING_ADMIN))
    # Invited into the client's planning last week: the confidant gate is open, but the
    # score is short of the threshold.
    TrustSignal.objects.create(
        account=alices_account,
        signal_type=SignalType.objects.get(slug="invited_to_planning"),
        observed_on=timezone.localdate() - datetime.timedelta(days=7),
    )
    account_rescore(account_id=alices_account.pk)

    login(page, "sam")
    page.click("nav >> text=Tuning")
    page.click("text=Start a draft from v1")
    page.wait_for_url("**/tuning/versions/2/")
    preview = page.locator("[data-testid=preview]")
    expect(preview.locator("[data-testid=movers]")).to_have_text(
        "0 accounts would move up, 0 down."
    )
    expect(preview.locator("[data-stage=Vendor]")).to_have_text("1")

    page.fill("#id_signal_weights__invited_to_planning", "40")  # no save: the preview follows

    expect(preview.locator("[data-testid=movers]")).to_have_text("1 account would move up, 0 down.")
    expect(preview).to_contain_text("▲ Northwind Freight: Vendor → Confidant")
    expect(preview.locator("[data-stage=Confidant]")).to_have_text("1 (+1)")
    screenshot(page, "tuning", full_page=False)
    page.click("text=Save draft")
    page.wait_for_selector("text=Draft v2 saved.")
    assert "default 8 · active 8" in page.inner_text("#group-signal_weights")

    page.click("text=Apply v2")
    page.wait_for_selector("text=Rolling out v2")
    assert profile_active().version == 1

    worker_runs_the_queue()  # the background worker picks the rollout up

    page.wait_for_selector("text=v2 is live")
    assert page.locator("[data-testid=rollout-progress] progress").get_attribute("value") == "100"
    page.wait_for_selector("text=Roll back to v1")
    assert profile_active().version == 2
    assert page.console_errors == []


def test_an_admin_backtests_the_live_version_beside_the_preview_and_reads_the_verdict(page):
    ensure_migrated_rows()  # the roles and catalog the demo's people and signals need
    call_command("seed_demo", "--accounts", "40", verbosity=0)
    login(page, "sam", "demo")
    page.goto(f"/tuning/versions/{profile_active().version}/")
    backtest = page.locator("[data-testid=backtest]")
    expect(backtest).to_contain_text("Not run yet.")

    backtest.locator("button", has_text="Run the backtest").click()
    expect(backtest).to_contain_text("Queued for the background worker")

    worker_runs_the_queue()  # the worker runs it; the card, polling, shows the result by itself

    verdict = page.locator("[data-testid=verdict]")
    expect(verdict).to_contain_text("Beats both rules of thumb", timeout=10_000)
    figures = page.locator("[data-testid=backtest-figures] tbody tr")
    expect(figures).to_have_count(3)  # the live version, and the two rules of thumb
    expect(figures.nth(1)).to_contain_text("days since last contact")
    backtest.locator("summary", has_text="Warning lead per lost account").click()
    expect(backtest).to_contain_text("weeks")
    assert page.console_errors == []
    backtest.scroll_into_view_if_needed()
    screenshot(page, "backtest", full_page=False)
