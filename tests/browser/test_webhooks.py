"""A scoring admin, on a phone, registers a webhook endpoint by keyboard, copies its secret,
sends a test event and watches the delivery log turn to delivered."""

from django.contrib.auth.models import Group
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from accounts import roles
from tests.browser.conftest import axe_problems, login, settle
from tests.conftest import ensure_migrated_rows
from tests.factories import UserFactory
from webhooks.delivery import deliveries_run


def test_an_admin_registers_an_endpoint_tests_it_and_sees_it_delivered(
    phone_page, transactional_db, httpserver, settings
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True  # the receiver listens on loopback
    ensure_migrated_rows()
    sam = UserFactory(username="sam", first_name="Sam", last_name="Admin")
    sam.groups.add(Group.objects.get(name=roles.SCORING_ADMIN))
    httpserver.expect_request("/hooks").respond_with_data("ok")
    page = phone_page

    login(page, "sam")
    page.goto("/webhooks/")
    assert axe_problems(page, "webhooks, phone") == []
    page.get_by_label("URL").fill("ftp://files.example/hooks")
    page.get_by_label("URL").press("Enter")
    expect(page.locator("#id_url_error")).to_contain_text("Enter an http:// or https://")
    page.get_by_label("URL").fill(httpserver.url_for("/hooks"))
    page.get_by_label("interaction.created", exact=False).check()
    page.get_by_label("URL").focus()
    page.keyboard.press("Enter")

    page.wait_for_url("**/webhooks/*/")
    secret = page.get_by_label("Signing secret", exact=False).input_value()
    assert secret.startswith("whsec_")
    assert axe_problems(page, "webhook endpoint, phone") == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    page.get_by_role("button", name="Send test event").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("delivery-log")).to_contain_text("1 waiting to be sent")

    settle(page)
    deliveries_run()

    # The log refreshes itself (every 3 s while something waits).
    log = page.get_by_test_id("delivery-log")
    expect(log).to_contain_text("Delivered", timeout=8_000)
    expect(log).to_contain_text("webhook.test")
    (request, _), *_ = httpserver.log
    assert Webhook(secret).verify(request.get_data(as_text=True), dict(request.headers))
    page.reload()
    expect(page.get_by_label("Signing secret", exact=False)).to_have_count(0)
