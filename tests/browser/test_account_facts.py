"""The account's facts edited in place: the plan for the relationship, and the champion who
leaves."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from relationships.models import Contact
from tests.browser.conftest import login, settle


def test_marking_the_champion_as_gone_raises_the_risk_on_the_page(page, alices_account):
    Contact.objects.filter(account=alices_account, name="Dana Reyes").update(is_champion=True)
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")
    risk_before = int(page.inner_text("[data-testid=risk]"))

    dana = page.locator(".contacts li", has_text="Dana Reyes")
    dana.locator("summary", has_text="left?").click()
    expect(dana).to_contain_text("raises the decline risk")
    left_on = timezone.localdate() - datetime.timedelta(days=3)
    dana.locator("input[type=date]").fill(left_on.isoformat())
    dana.locator("button", has_text="Save").click()

    facts = page.locator("#account-facts")
    expect(facts.locator(".note")).to_contain_text("Dana Reyes marked as gone — score")
    expect(facts.locator(".contacts li", has_text="Dana Reyes")).to_contain_text(
        f"left {left_on.day} {left_on:%b %Y}"
    )
    page.wait_for_function(
        "before => Number(document.querySelector('[data-testid=risk]').innerText) > before",
        arg=risk_before,
    )
    expect(page.locator("#timeline")).to_contain_text(
        "Dana Reyes, COO, our champion, left the client."
    )
    settle(page)  # every panel has refreshed itself
    expect(facts.locator(".note")).to_contain_text("Dana Reyes marked as gone — score")
    assert page.console_errors == []


def test_a_manager_sets_the_next_step_and_sees_it_on_the_account(page, alices_account):
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")
    facts = page.locator("#account-facts")
    expect(facts.locator("[data-testid=next-step]")).to_have_text("No next step planned")

    facts.locator("text=Edit facts").click()
    page.fill("#id_objective", "A seat in their 2027 network planning")
    due = timezone.localdate() + datetime.timedelta(days=14)
    page.fill("#id_next_step_due", due.isoformat())
    page.click("#account-facts button[type=submit]")
    # A date without a step is explained next to the step, and the typing is kept.
    expect(facts.locator(".field.has-error")).to_contain_text("Say what the next step is")
    expect(page.locator("#id_objective")).to_have_value("A seat in their 2027 network planning")

    page.fill("#id_next_step", "Walk their COO through the capacity study")
    page.click("#account-facts button[type=submit]")

    expect(facts.locator("[data-testid=objective]")).to_have_text(
        "A seat in their 2027 network planning"
    )
    expect(facts.locator("[data-testid=next-step]")).to_contain_text(
        "Walk their COO through the capacity study"
    )
    expect(facts.locator("[data-testid=next-step]")).to_contain_text(f"by {due.day} {due:%b %Y}")
    assert page.console_errors == []
