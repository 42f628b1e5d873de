"""A sales lead on the portfolio dashboard, in a real browser."""

import datetime
import re

from django.utils import timezone

from relationships.models import SignalType, TrustSignal
from scoring.dashboard import summary
from scoring.services import account_rescore
from tests.browser.conftest import axe_problems, htmx_settled, login, make_manager
from tests.factories import InteractionFactory


def _early_notice(account, *, weeks):
    """Early notice of the client's plans in each of those weeks back, and a rescore."""
    early = SignalType.objects.get(slug="early_notice_of_plans")
    for back in weeks:
        day = timezone.localdate() - datetime.timedelta(weeks=back)
        meeting = InteractionFactory(account=account, occurred_on=day)
        TrustSignal.objects.create(
            account=account, signal_type=early, observed_on=day, interaction=meeting
        )
    account_rescore(account_id=account.pk)


def test_a_lead_filters_the_dashboard_and_opens_an_account_from_the_map(
    page, lena, alices_account, bobs_account
):
    _early_notice(bobs_account, weeks=(8, 4, 2))

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


def test_a_large_view_draws_counted_squares_under_its_riskiest_account(
    page, lena, alices_account, bobs_account, monkeypatch
):
    # Two accounts stand for a book larger than the map draws one by one.
    monkeypatch.setattr(summary, "MAP_ALL_POINTS", 1)
    monkeypatch.setattr(summary, "MAP_TOP_POINTS", 1)
    _early_notice(alices_account, weeks=(20,))
    _early_notice(bobs_account, weeks=(8, 4, 2))

    login(page, "lena")
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("nav >> text=Portfolio")
    page.wait_for_selector("[data-testid=portfolio-map][data-drawn=true]")

    traces = page.locator("[data-testid=portfolio-map] .scatterlayer .trace")
    assert traces.first.locator("path.point").count() >= 1  # the squares
    assert traces.last.locator("path.point").count() == 1  # the riskiest account
    traces.last.locator("path.point").first.click(force=True)
    page.wait_for_url("**/accounts/*/")  # the riskiest opens as every point does
    page.go_back()
    caption = page.inner_text("[data-testid=map-summary]")
    assert caption.startswith("2 accounts:") and "The 1 riskiest are drawn one by one" in caption
    assert page.console_errors == []


def test_a_lead_of_a_large_team_finds_a_manager_by_keyboard(page, lena, alices_account):
    """Past 30 managers the filter offers a search: typed, then chosen from the few found,
    all from the keyboard, and the page stays accessible at phone width."""
    for n in range(30):
        make_manager(f"member{n:02}", "Team", f"Member {n:02}")
    account_rescore(account_id=alices_account.pk)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "lena")
    page.goto("/dashboard/")

    assert page.locator("#id_manager option").all_inner_texts() == ["All managers"]
    page.fill("#id_manager_find", "moreau")
    page.keyboard.press("Tab")  # leaving the search asks for the managers it finds
    page.wait_for_url("**manager_find=moreau*")
    page.wait_for_function("document.querySelectorAll('#id_manager option').length === 2")
    htmx_settled(page)
    assert page.evaluate("document.activeElement.id") == "id_manager"
    page.keyboard.press("ArrowDown")  # a select chooses its next option from the keyboard
    page.wait_for_url(re.compile(r"[?&]manager=\d+"))  # not the empty choice before it
    page.wait_for_selector("[data-testid=portfolio-map][data-drawn=true]")
    assert "Alice Moreau" in page.inner_text("[data-testid=by-manager]")
    assert "Team Member" not in page.inner_text("[data-testid=by-manager]")
    assert axe_problems(page, "dashboard, large team, 390 px") == []
    assert page.console_errors == []
