"""Signing in and out, and who may open what, in a real browser."""

from tests.browser.conftest import login


def test_a_wrong_password_is_refused_on_the_login_page(page, alice):
    login_page = page
    login_page.goto("/login/")
    login_page.fill("#id_username", "alice")
    login_page.fill("#id_password", "not her password")
    login_page.click("form button[type=submit]")
    assert "Please enter a correct username and password" in login_page.inner_text("main")
    assert login_page.url.endswith("/login/")


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
    page.goto("/")
    assert "/login/?next=/" in page.url


def test_pages_fit_a_phone_screen(phone_page, alices_account):
    login(phone_page, "alice")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.goto(f"/accounts/{alices_account.pk}/")
    phone_page.wait_for_selector("[data-testid=history-chart][data-drawn=true]")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.click("text=Log a meeting")
    phone_page.wait_for_selector("form.interaction-form")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone_page.console_errors == []
