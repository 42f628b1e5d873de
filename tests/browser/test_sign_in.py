"""Signing in and out, and who may open what, in a real browser."""

from urllib.parse import urlsplit

from tests.browser.conftest import PASSWORD, login

PHONE_WIDTH = 390


def _page_width(page) -> int:
    """How wide the page's content is; wider than the viewport means sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_wrong_password_is_refused_on_the_login_page(page, alice):
    page.goto("/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "not her password")
    page.click("form button[type=submit]")

    assert "Please enter a correct username and password" in page.inner_text("[role=alert]")
    assert page.url.endswith("/login/")
    assert page.input_value("#id_username") == "alice"


def test_an_anonymous_visitor_is_sent_to_sign_in_and_then_back(page, alices_account):
    response = page.goto("/")

    assert response.url.endswith("/login/?next=/")
    assert page.locator("h1").inner_text() == "Sign in"
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    assert urlsplit(page.url).path == "/"
    assert "Northwind Freight" in page.inner_text("#account-table")


def test_a_manager_sees_her_accounts_and_is_refused_anothers(page, alices_account, bobs_account):
    login(page, "alice")
    table = page.inner_text("#account-table")
    assert "Northwind Freight" in table and "Bluepeak Foods" not in table

    response = page.goto(f"/accounts/{bobs_account.pk}/")

    assert response.status == 404
    assert "Bluepeak Foods" not in page.content()


def test_signing_out_ends_the_session(page, alices_account):
    login(page, "alice")
    page.click("text=Sign out")
    page.wait_for_url("**/login/")
    assert page.locator("h1").inner_text() == "Sign in"

    page.goto("/")

    assert "/login/?next=/" in page.url
    assert "Northwind Freight" not in page.content()


def test_the_account_page_loads_its_styles_and_scripts_without_errors(page, alices_account):
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    login(page, "alice")

    page.goto(f"/accounts/{alices_account.pk}/")

    # The chart is drawn by static/js/app.js with the vendored plotly bundle, so a drawn
    # chart means every script loaded and ran.
    page.wait_for_selector("[data-testid=history-chart][data-drawn=true]")
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate(
        "[...document.styleSheets].some(s => s.href && s.href.includes('app.css')"
        " && s.cssRules.length > 0)"
    )
    assert failed == []
    assert page.console_errors == []


def test_pages_fit_a_phone_screen(phone_page, alices_account):
    phone_page.goto("/login/")
    assert _page_width(phone_page) <= PHONE_WIDTH

    login(phone_page, "alice")
    assert "Northwind Freight" in phone_page.inner_text("#account-table")
    assert _page_width(phone_page) <= PHONE_WIDTH

    phone_page.goto(f"/accounts/{alices_account.pk}/")
    phone_page.wait_for_selector("[data-testid=history-chart][data-drawn=true]")
    assert _page_width(phone_page) <= PHONE_WIDTH
    phone_page.click("text=Log a meeting")
    phone_page.wait_for_selector("form.interaction-form")
    assert _page_width(phone_page) <= PHONE_WIDTH
    assert phone_page.console_errors == []
