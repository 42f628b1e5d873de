"""A sales lead on the portfolio dashboard, in a real browser."""

import datetime

from django.utils import timezone

from relationships.models import SignalType, TrustSignal
from scoring.services import account_rescore
from tests.browser.conftest import login
from tests.factories import InteractionFactory


def test_a_lead_filters_the_dashboard_and_opens_an_account_from_the_map(
    page, lena, alices_account, bobs_account
):
    today = timezone.localdate()
    early = SignalType.objects.get(slug="early_notice_of_plans")
    for weeks in (8, 4, 2):
        day = today - datetime.timedelta(weeks=weeks)
        meeting = InteractionFactory(account=bobs_account, occurred_on=day)
        TrustSignal.objects.create(
            account=bobs_account, signal_type=early, observed_on=day, interaction=meeting
        )
    account_rescore(account_id=bobs_account.pk)

    login(page, "lena")
    page.click("nav >> text=Portfolio")
    page.wait_for_selector("[data-testid=portfolio-map][data-drawn=true]")
    everyone = page.inner_text("[data-testid=by-manager]")
    assert "Alice Moreau" in everyone and "Bob Okafor" in everyone
    assert (
        page.locator("[data-testid=portfolio-map] .scatterlayer .trace")
        .last.locator("path.point")
        .count()
        == 2
    )

    page.select_option("#id_manager", label="Alice Moreau")
    page.wait_for_url("**manager=*")
    page.wait_for_selector("[data-testid=portfolio-map][data-drawn=true]")
    managers = page.inner_text("[data-testid=by-manager]")
    assert "Alice Moreau" in managers and "Bob Okafor" not in managers
    points = page.locator("[data-testid=portfolio-map] .scatterlayer .trace").last.locator(
        "path.point"
    )
    assert points.count() == 1

    points.first.click(force=True)

    page.wait_for_url(f"**/accounts/{alices_account.pk}/")
    assert "Northwind Freight" in page.inner_text("h1")
    page.go_back()
    page.wait_for_url("**manager=*")
    assert page.console_errors == []
