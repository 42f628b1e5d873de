"""Accounts opened, handed over and closed in the app, in a real browser: a lead opens an
account for a manager, who adds a contact and logs a meeting; a lead marks an account lost and
it leaves the dashboard."""

from __future__ import annotations

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Account
from relationships.models import Contact
from scoring.services import account_rescore
from tests.browser.conftest import login, settle
from tests.factories import InteractionFactory


def _map_points(page):
    page.wait_for_selector("[data-testid=portfolio-map][data-drawn=true]")
    return (
        page.locator("[data-testid=portfolio-map] .scatterlayer .trace")
        .last.locator("path.point")
        .count()
    )


def test_a_lead_opens_an_account_the_manager_adds_a_contact_and_logs_a_meeting(page, lena, alice):
    login(page, "lena")
    page.click("text=New account")
    page.fill("#id_name", "Harbour Lines")
    page.fill("#id_industry", "Shipping")
    page.select_option("#id_owner", label="Alice Moreau")
    page.fill("#id_annual_revenue", "-5")
    page.fill("#id_domains", "Harbour.example\nnot a domain")
    page.click("main form button[type=submit]")
    # Refused by the fields, nothing saved, the typing kept.
    expect(page.locator("#id_annual_revenue_error")).to_contain_text("greater than or equal to 0")
    expect(page.locator("#id_domains_error")).to_contain_text("is not an email domain")
    expect(page.locator("#id_name")).to_have_value("Harbour Lines")
    assert not Account.objects.exists()

    page.fill("#id_annual_revenue", "250000")
    page.fill("#id_domains", "Harbour.example")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    expect(page.locator("h1")).to_have_text("Harbour Lines")
    expect(page.locator("#account-header")).to_contain_text("managed by Alice Moreau")
    expect(page.locator("[data-testid=audit-trail]")).to_contain_text(
        "Account opened: Harbour Lines"
    )
    page.context.clear_cookies()

    login(page, "alice")
    page.click("text=Harbour Lines")
    facts = page.locator("#account-facts")
    facts.locator("text=Add a contact").click()
    page.fill("#id_name", "Ola Berg")
    page.fill("#id_title", "Head of Logistics")
    page.fill("#id_email", "ola@harbour.example")
    page.fill("#id_phone", "+46 8 123 45")
    page.select_option("#id_role", label="Economic buyer")
    page.click("#account-facts button[type=submit]")
    expect(facts.locator(".contacts")).to_contain_text("Ola Berg, Head of Logistics")
    expect(facts.locator(".contacts")).to_contain_text("ola@harbour.example")

    page.click("text=Log a meeting")
    page.wait_for_selector("form.interaction-form")
    page.check("text=Ola Berg (Head of Logistics)")
    page.fill("#id_notes", "First meeting: their 2027 fleet plan")
    page.click("form.interaction-form button[type=submit]")
    expect(page.locator("[data-testid=change-note]")).to_contain_text("Logged")
    expect(page.locator("#timeline .entry").first).to_contain_text("their 2027 fleet plan")
    expect(page.locator("[data-testid=score]")).not_to_have_text("Not scored yet", timeout=10_000)
    settle(page)
    assert Contact.objects.get(name="Ola Berg").interactions.count() == 1
    assert page.console_errors == []


def test_a_lead_marks_an_account_lost_and_it_leaves_the_dashboard(
    page, lena, alices_account, bobs_account
):
    InteractionFactory(account=bobs_account, occurred_on=timezone.localdate())
    account_rescore(account_id=bobs_account.pk)
    login(page, "lena")
    page.click("nav >> text=Portfolio")
    assert _map_points(page) == 2

    page.goto(f"/accounts/{alices_account.pk}/")
    page.click("text=Mark lost")
    lost_on = timezone.localdate() - datetime.timedelta(days=2)
    page.fill("#id_lost_on", lost_on.isoformat())
    page.select_option("#id_reason", label="Went to a competitor")
    page.fill("#id_note", "Moved the freight to a cheaper bidder after a re-tender.")
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    expect(page.locator("[data-testid=lost-notice]")).to_contain_text(
        "(went to a competitor): Moved the freight to a cheaper bidder"
    )
    expect(page.locator("[data-testid=audit-trail]")).to_contain_text("Marked lost on")
    page.click("nav >> text=Portfolio")
    assert _map_points(page) == 1
    page.goto("/")
    expect(page.locator("[data-testid=account-list]")).not_to_contain_text("Northwind Freight")
    page.check("text=Include lost and archived")
    expect(page.locator("[data-testid=account-list]")).to_contain_text("Northwind Freight")
    assert page.console_errors == []
