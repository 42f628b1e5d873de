"""Capture in the browser: a manager uploads a calendar export, confirms the meetings that
were matched to their account, with trust signals, and finds them on the account page."""

from __future__ import annotations

from cryptography.fernet import Fernet
from playwright.sync_api import ViewportSize

from accounts.models import AccountDomain
from relationships.capture.services import caldav_source_connect
from relationships.models import Contact
from tests.browser.conftest import WatchedPage, axe_problems, login, settle, tick_signal
from tests.capture.conftest import days_ago, ics, vevent

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


def _five_meetings() -> bytes:
    dana, kim = "dana@northwind.example", "kim@northwind.example"
    return ics(
        vevent("q3@x", days_ago(1), summary="Quarterly planning", attendees=[dana, kim]),
        vevent("ops@x", days_ago(2), summary="Network redesign", attendees=[kim]),
        vevent(
            "new@x", days_ago(3), summary="Warehouse visit", attendees=["lee@northwind.example"]
        ),
        vevent("team@x", days_ago(4), summary="Team retro", attendees=["bob@example.com"]),
        vevent(
            "dentist@x", days_ago(5), summary="Supplier call", attendees=["x@elsewhere.example"]
        ),
    )


def _accessible_at_both_widths(page: WatchedPage, where: str) -> list[str]:
    problems = axe_problems(page, f"{where}, 1280 px")
    page.set_viewport_size(PHONE)
    settle(page)
    problems += axe_problems(page, f"{where}, 390 px")
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        problems.append(f"{where}: the page scrolls sideways at 390 px")
    page.set_viewport_size(DESKTOP)
    return problems


def _confirm_with_signals(page: WatchedPage, subject: str, signals: list[str]) -> list[str]:
    """Confirm one meeting on its own page, ticking signals; the page's axe problems."""
    page.get_by_role("link", name=f"With signals: {subject}").click()
    page.wait_for_selector("fieldset.signals")
    problems = _accessible_at_both_widths(page, f"confirm {subject}")
    for name in signals:
        tick_signal(page, name)
    with page.expect_navigation():
        page.click("form.interaction-form button[type=submit]")
    return problems


def test_an_uploaded_calendar_becomes_confirmed_meetings_on_the_account(page, alices_account):
    account = alices_account
    AccountDomain.objects.create(account=account, domain="northwind.example")
    Contact.objects.filter(account=account, name="Dana Reyes").update(
        email="dana@northwind.example"
    )
    Contact.objects.filter(account=account, name="Kim Ode").update(email="kim@northwind.example")
    login(page, "alice")

    page.click("nav >> text=Capture")
    page.click("text=Upload a calendar or mail, connect a calendar")
    problems = _accessible_at_both_widths(page, "capture sources")
    page.set_input_files(
        "#id_calendar", {"name": "notes.ics", "mimeType": "text/plain", "buffer": b"Hello\n"}
    )
    with page.expect_navigation():
        page.click("text=Read the calendar")
    assert "This is not an iCalendar file" in page.inner_text("#id_calendar_error")
    problems += _accessible_at_both_widths(page, "capture sources, file refused")
    page.set_input_files(
        "#id_calendar",
        {"name": "Outlook export.ics", "mimeType": "text/calendar", "buffer": _five_meetings()},
    )
    with page.expect_navigation():
        page.click("text=Read the calendar")

    assert "Read 5 meetings from Outlook export.ics: 3 matched" in page.inner_text(".messages")
    assert page.inner_text("[data-testid=capture-count]") == "3"
    assert page.locator("[data-testid=capture-item]").count() == 3
    assert page.locator("[data-testid=unmatched-item]").count() == 2
    problems += _accessible_at_both_widths(page, "meetings to confirm")

    problems += _confirm_with_signals(page, "Quarterly planning", ["Invited to planning"])
    assert "Logged the meeting of" in page.inner_text(".messages")
    problems += _accessible_at_both_widths(page, "meetings to confirm after a confirm")
    problems += _confirm_with_signals(page, "Network redesign", ["Strategy advice requested"])
    assert page.inner_text("[data-testid=capture-count]") == "1"

    page.click("[data-testid=capture-item] >> text=Northwind Freight")
    page.wait_for_selector("#timeline .entry")
    timeline = page.inner_text("#timeline")
    assert "Quarterly planning" in timeline and "Invited to planning" in timeline
    assert "Network redesign" in timeline and "Strategy advice requested" in timeline
    assert "Dana Reyes" in timeline
    assert problems == [], "\n".join(problems)
    assert page.console_errors == []


def test_the_one_click_confirm_works_in_place_and_keeps_the_focus(page, alices_account):
    AccountDomain.objects.create(account=alices_account, domain="northwind.example")
    login(page, "alice")
    page.goto("/capture/sources/")
    page.set_input_files(
        "#id_calendar",
        {"name": "cal.ics", "mimeType": "text/calendar", "buffer": _five_meetings()},
    )
    with page.expect_navigation():
        page.click("text=Read the calendar")

    page.get_by_role("button", name="Confirm: Warehouse visit").click()

    done = page.wait_for_selector("[data-testid=capture-item-done]")
    assert "Logged the meeting of" in done.inner_text()
    assert page.evaluate("document.activeElement.dataset.testid") == "capture-item-done"
    assert "Logged the meeting of" in page.inner_text("#capture-status")
    # The heading's count follows (it re-fetches itself on captureChanged).
    # A function, not an expression: Playwright evaluates an expression string with eval in
    # the page, which the Content Security Policy refuses once it has to poll.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=capture-count]').textContent === '2'"
    )
    problems = axe_problems(page, "meetings to confirm after a one-click confirm")
    assert problems == [], "\n".join(problems)


def test_a_connected_calendar_can_be_changed_by_keyboard_at_both_widths(page, alice, settings):
    settings.CAPTURE_CREDENTIALS_KEY = Fernet.generate_key().decode()
    caldav_source_connect(
        owner=alice, url="https://dav.example.com/alice/work/", username="alice", password="old"
    )
    login(page, "alice")
    page.goto("/capture/sources/")
    problems = _accessible_at_both_widths(page, "sources with a calendar")

    page.get_by_role(
        "link", name="Change the address or password: https://dav.example.com/alice/work/"
    ).click()
    page.wait_for_selector("[data-testid=caldav-change-form]")
    problems += _accessible_at_both_widths(page, "change a calendar")
    page.fill("#id_password", "new-app-password")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "a sync is queued" in page.inner_text("main")
    assert problems == [], "\n".join(problems)
    assert page.console_errors == []
