"""The demo portfolio as a sales lead first sees it: the pictures in the README come from here."""

from django.core.management import call_command
from playwright.sync_api import expect

from scoring.models import ScoreSnapshot
from tests.browser.conftest import login, screenshot
from tests.conftest import ensure_migrated_rows


def test_the_demo_portfolio_reads_well_on_the_dashboard_and_an_account_page(page):
    ensure_migrated_rows()  # the roles and catalog the demo's people and signals need
    call_command("seed_demo", "--accounts", "40", verbosity=0)
    login(page, "lena", "demo")

    page.goto("/dashboard/")
    # The demo's stories spread the book over every stage, and the map draws them all.
    for stage in ("vendor", "confidant", "consultant", "virtual_partner"):
        expect(page.locator(f"[data-testid=tile-{stage}] strong")).not_to_have_text("0")
    page.wait_for_selector("[data-testid=portfolio-map][data-drawn=true]")
    # The managers' next steps stand beside the accounts at risk.
    expect(page.locator("[data-testid=at-risk] [data-testid=plan]").first).to_be_visible()
    assert "Next: " in page.inner_text("[data-testid=at-risk]")
    assert page.console_errors == []
    screenshot(page, "dashboard")

    partner = (
        ScoreSnapshot.objects.filter(is_latest=True, stage="virtual_partner")
        .select_related("account")
        .order_by("-score")
        .first()
    )
    assert partner is not None, "the demo's climbers reach virtual partner"
    page.goto(f"/accounts/{partner.account_id}/")
    expect(page.locator("h1")).to_have_text(partner.account.name)
    expect(page.locator("[data-testid=stage]")).to_contain_text("Virtual partner")
    page.wait_for_selector("[data-testid=history-chart][data-drawn=true]")
    assert page.console_errors == []
    screenshot(page, "account-page")
