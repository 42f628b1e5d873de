"""The Today panel in a real browser: an overdue next step is there, snoozing it hides it (in
place, the header's count following) until the snooze ends."""

from __future__ import annotations

import datetime

from django.utils import timezone

from reminders.models import ReminderMark
from reminders.selectors import inbox_for
from tests.browser.conftest import login, settle
from tests.factories import AccountFactory


def test_the_today_panel_shows_an_overdue_step_and_snoozing_hides_it_until_the_date(page, alice):
    today = timezone.localdate()
    account = AccountFactory(
        name="Northwind Freight",
        owner=alice,
        next_step="Send the benchmark study",
        next_step_due=today - datetime.timedelta(days=3),
    )
    AccountFactory(
        name="Later Co", owner=alice, next_step="Plan", next_step_due=today + datetime.timedelta(1)
    )
    login(page, "alice")

    panel = page.locator("[data-testid=today-panel]")
    assert page.evaluate("document.activeElement.id") != "today-heading"  # loading takes none
    reminder = panel.locator("[data-testid=reminder]", has_text="Northwind Freight")
    assert reminder.count() == 1
    assert "Send the benchmark study" in reminder.inner_text()
    assert "overdue since" in reminder.inner_text()
    assert "Later Co" not in panel.inner_text()
    assert page.locator("[data-testid=header-today] .count").inner_text().startswith("1")
    link = reminder.get_by_role("link", name="Northwind Freight")
    assert link.get_attribute("href") == f"/accounts/{account.pk}/"

    reminder.get_by_role("button", name="Snooze 1 day: Northwind Freight").click()
    page.wait_for_selector("[data-testid=today-panel] >> text=Nothing due")
    settle(page)

    assert page.url.endswith("/")  # swapped in place, no page load
    assert page.locator("[data-testid=header-today] .count").inner_text().startswith("0")
    page.reload()
    assert "Northwind Freight" not in page.locator("[data-testid=today-panel]").inner_text()
    mark = ReminderMark.objects.get(user=alice)
    assert mark.state == "snoozed" and mark.until == today + datetime.timedelta(days=1)
    # The day the snooze ends, it is back.
    tomorrow = inbox_for(alice, today + datetime.timedelta(days=1)).reminders
    assert "Northwind Freight" in {r.account_name for r in tomorrow}


def test_the_buttons_work_with_the_keyboard(page, alice):
    today = timezone.localdate()
    AccountFactory(name="Northwind Freight", owner=alice, next_step="Call", next_step_due=today)
    login(page, "alice")
    page.get_by_role("button", name="Dismiss: Northwind Freight").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=today-panel] >> text=Nothing due")
    assert ReminderMark.objects.get(user=alice).state == "dismissed"
    # The focus is not lost with the button: it is on the panel's heading.
    assert page.evaluate("document.activeElement.id") == "today-heading"
