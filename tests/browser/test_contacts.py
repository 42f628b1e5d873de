"""A manager marks the champion as gone, and the account's standing says what that means."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Contact
from tests.browser.conftest import login


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
    page.wait_for_load_state("networkidle")  # every panel has refreshed itself
    expect(facts.locator(".note")).to_contain_text("Dana Reyes marked as gone — score")
    assert page.console_errors == []
