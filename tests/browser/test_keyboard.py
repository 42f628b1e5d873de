"""The account page by keyboard alone, and on a phone: the skip link, the log form taking and
giving back the focus, the result said aloud, sharing without a mouse, a lost account."""

import datetime

from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.forms import OFFER_ALL_UP_TO
from accounts.models import Account
from tests.browser.conftest import axe_problems, login, make_manager, settle

# Enough for any form of the account page; a test that needs more has found a problem.
MOST_TABS = 60


def _focused(page: Page) -> str:
    """The focused element, described as a person would look for it."""
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            const label = element.labels && element.labels[0];
            return `${element.tagName.toLowerCase()}${element.id ? "#" + element.id : ""}: `
                + (label ? label.innerText : element.innerText || element.value || "").trim();
        }"""
    )


def _tab_until(page: Page, selector: str) -> int:
    """Press Tab until the focused element matches `selector`; how many presses it took."""
    for presses in range(1, MOST_TABS + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{MOST_TABS} Tab presses never reached {selector}")


def test_the_skip_link_comes_first_and_takes_the_focus_to_the_page(page, alices_account):
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown once it has the focus
    page.keyboard.press("Enter")

    expect(page.locator("main")).to_be_focused()
    # The next Tab lands inside the page, past the header's links.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_a_manager_logs_a_meeting_without_the_mouse_and_hears_what_it_changed(page, alices_account):
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")
    page.wait_for_selector("[data-testid=history-chart][data-drawn=true]")
    status = page.locator("#log-status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_be_empty()

    page.get_by_role("link", name="Log a meeting").focus()
    page.keyboard.press("Enter")

    # The form takes the focus on its first field...
    expect(page.locator("#id_kind")).to_be_focused()
    # ...and the first trust signal is a handful of Tab presses away: the account's two
    # contacts, "someone new", the first category, its first signal.
    presses = _tab_until(page, ".chip-toggle input")
    assert presses <= 5, f"{presses} Tab presses from the form's first field to the first signal"
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    # The chip's name is its last words (after the sign and the hidden "builds trust: ").
    signal = page.evaluate(
        "document.activeElement.closest('label').querySelector('.chip-name').lastChild.textContent"
    )

    _tab_until(page, "form.interaction-form button[type=submit]")
    page.keyboard.press("Enter")

    # The result is said in the live region that was on the page all along, and the focus is
    # back on the button that opened the form.
    expect(status).to_contain_text("Logged — score")
    expect(page.get_by_role("link", name="Log a meeting")).to_be_focused()
    expect(page.locator("#timeline .entry").first).to_contain_text(signal.strip())
    settle(page)
    assert page.console_errors == []


def test_a_refused_log_puts_the_focus_on_the_field_that_says_why(page, alices_account):
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")
    page.get_by_role("link", name="Log a meeting").click()
    expect(page.locator("#id_kind")).to_be_focused()
    page.fill("#id_occurred_on", "2999-01-01")
    page.locator("form.interaction-form button[type=submit]").click()

    expect(page.locator("#id_occurred_on[aria-invalid=true]")).to_be_focused()
    # The error is the field's description, read out with it.
    described = page.evaluate(
        """() => document.activeElement.getAttribute("aria-describedby").split(" ")
            .map(id => document.getElementById(id)).filter(Boolean)
            .map(element => element.innerText).join(" ")"""
    )
    assert "is in the future" in described


def test_a_lead_shares_an_account_with_checkboxes_from_the_keyboard(
    page, lena, bob, alices_account
):
    login(page, "lena")
    page.goto(f"/accounts/{alices_account.pk}/")
    assert page.locator("select[multiple]").count() == 0  # no Ctrl-click anywhere

    page.locator("summary", has_text="Owner and sharing").focus()
    page.keyboard.press("Enter")
    _tab_until(page, "input[name=shared_with]")
    for _ in range(MOST_TABS):
        if _focused(page).endswith(": Bob Okafor"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    _tab_until(page, "form[action$='/sharing/'] button[type=submit]")
    page.keyboard.press("Enter")

    team = page.locator("#account-team")
    expect(team.locator(".note")).to_have_text("Sharing saved.")
    expect(team.locator("summary")).to_be_focused()
    expect(team.get_by_label("Bob Okafor")).to_be_checked()
    assert list(alices_account.shared_with.values_list("username", flat=True)) == ["bob"]


def test_a_lead_of_a_large_team_finds_the_new_owner_by_name_from_the_keyboard(
    page, lena, alice, bob, alices_account
):
    for number in range(OFFER_ALL_UP_TO):
        make_manager(f"casey{number}", "Casey", f"Number{number}")
    make_manager("quinn", "Quinn", "Abara")
    login(page, "lena")
    page.goto(f"/accounts/{alices_account.pk}/")

    page.locator("summary", has_text="Owner and sharing").focus()
    page.keyboard.press("Enter")
    _tab_until(page, "#team-find")
    page.keyboard.type("quin")
    team = page.locator("#account-team")
    expect(team.get_by_role("status")).to_have_text("1 manager matches “quin”: offered below.")
    expect(page.locator("#team-find")).to_be_focused()  # typing on is not interrupted
    assert axe_problems(page, "lena, large team searched") == []
    _tab_until(page, "input[name=owner]")
    # Alice, the owner now, is ticked; the arrow moves the choice to the one found.
    expect(page.locator(":focus")).to_have_accessible_name("Alice Moreau (alice)")
    page.keyboard.press("ArrowDown")
    expect(team.get_by_label("Quinn Abara").first).to_be_checked()
    _tab_until(page, "form[action$='/owner/'] button[type=submit]")
    page.keyboard.press("Enter")

    expect(team.locator(".note")).to_have_text("Quinn Abara now manages this account.")
    alices_account.refresh_from_db()
    assert alices_account.owner.username == "quinn"


def _lose(account: Account) -> datetime.date:
    lost_on = timezone.localdate() - datetime.timedelta(days=40)
    Account.objects.filter(pk=account.pk).update(
        status="lost", lost_on=lost_on, lost_note="Moved the work to a competitor."
    )
    return lost_on


def test_a_lost_account_says_when_and_why_and_offers_no_log(page, alices_account):
    lost_on = _lose(alices_account)
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")

    notice = page.locator("[data-testid=lost-notice]")
    expect(notice).to_contain_text(
        f"Northwind Freight was lost on {lost_on.day} {lost_on:%b %Y}: "
        "Moved the work to a competitor."
    )
    expect(notice).to_contain_text("a sales lead can reopen it")
    expect(page.get_by_role("link", name="Log a meeting")).to_have_count(0)
    expect(notice.get_by_role("button", name="Reopen the account")).to_have_count(0)

    # An old link to the form leads back to the page, which says why.
    page.goto(f"/accounts/{alices_account.pk}/log/")
    page.wait_for_url(f"**/accounts/{alices_account.pk}/")
    expect(page.locator(".messages")).to_contain_text("is lost: a sales lead reopens it first")


def test_a_lead_reopens_a_lost_account_and_its_history_says_so(page, lena, alices_account):
    lost_on = _lose(alices_account)
    login(page, "lena")
    page.goto(f"/accounts/{alices_account.pk}/")

    page.get_by_role("button", name="Reopen the account").click()

    expect(page.locator(".messages")).to_contain_text("Northwind Freight is active again")
    expect(page.locator("[data-testid=lost-notice]")).to_have_count(0)
    expect(page.locator("#account-header")).not_to_contain_text("lost")
    expect(page.locator("[data-testid=audit-trail]")).to_contain_text(
        f"Reopened: was lost on {lost_on.day} {lost_on:%b %Y}: Moved the work to a competitor."
    )
    alices_account.refresh_from_db()
    assert (alices_account.status, alices_account.lost_on) == ("active", None)


def test_the_log_form_fits_a_phone_with_save_in_reach(phone_page, alices_account):
    page = phone_page
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")
    page.get_by_role("link", name="Log a meeting").click()
    page.wait_for_selector("form.interaction-form")
    screen = page.viewport_size["height"]

    signals = page.locator("fieldset.signals").bounding_box()
    assert signals["height"] <= screen, f"the signals take {signals['height']:.0f} px"
    # Every category is there, the closed ones one tap away.
    assert page.locator("[data-testid=signal-group]").count() == 9

    save = page.get_by_role("button", name="Save", exact=True)
    for part in ("fieldset.signals", "#id_notes", "[data-testid=signal-group] >> nth=-1"):
        page.locator(part).scroll_into_view_if_needed()
        expect(save).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
