"""The account manager's daily loop: log a meeting and watch the account move."""

import json

from playwright.sync_api import expect

from tests.browser.conftest import login, tick_signal


def _chart_scores(page):
    return json.loads(page.inner_text("#history-chart-data"))["data"][0]["y"]


def test_logging_a_meeting_updates_timeline_header_and_chart(page, alices_account):
    login(page, "alice")
    page.click("text=Northwind Freight")
    page.wait_for_selector("[data-testid=history-chart][data-drawn=true]")
    score_before = page.inner_text("[data-testid=score]")
    scores_before = _chart_scores(page)
    assert page.console_errors == []

    page.click("text=Log a meeting")
    page.wait_for_selector("form.interaction-form")
    page.check("text=Dana Reyes (COO)")
    page.fill("#id_notes", "Walked through their 2027 network plan")
    tick_signal(page, "Invited to planning")
    tick_signal(page, "Strategy advice requested")
    page.click("form.interaction-form button[type=submit]")

    note = page.wait_for_selector("[data-testid=change-note]").inner_text()
    assert note.startswith(f"Logged — score {score_before} → ")
    page.wait_for_function(
        "before => document.querySelector('[data-testid=score]').innerText !== before",
        arg=score_before,
    )
    score_after = page.inner_text("[data-testid=score]")
    assert int(score_after) > int(score_before)
    assert f"→ {score_after}," in note
    # Each panel refreshes itself on the event; wait for the timeline's turn.
    page.wait_for_selector("#timeline .entry:first-child:has-text('2027 network plan')")
    first = page.locator("#timeline .entry").first
    assert "Walked through their 2027 network plan" in first.inner_text()
    assert "Invited to planning" in first.inner_text()
    assert "Strategy advice requested" in first.inner_text()
    page.wait_for_function(
        """before => {
            const data = document.getElementById('history-chart-data');
            const chart = document.querySelector('[data-testid=history-chart]');
            const scores = JSON.parse(data.textContent).data[0].y;
            return chart.dataset.drawn === 'true' && scores[scores.length - 1] !== before;
        }""",
        arg=scores_before[-1],
    )
    scores_after = _chart_scores(page)
    assert abs(scores_after[-1] - int(score_after)) <= 0.5
    assert scores_after[-1] > scores_before[-1]
    # The change history refreshes itself on the same event, in its own request: wait for it
    # rather than read it the moment the chart is drawn.
    page.wait_for_selector("[data-testid=audit-trail] li:has-text('Created Meeting on')")
    assert page.console_errors == []


def test_a_bad_date_is_shown_by_the_field_and_nothing_is_logged(page, alices_account):
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")
    entries = page.locator("#timeline .entry").count()
    page.click("text=Log a meeting")
    page.fill("#id_occurred_on", "2999-01-01")
    page.click("form.interaction-form button[type=submit]")
    page.wait_for_selector(".has-error .error")
    assert "is in the future" in page.inner_text("form.interaction-form")
    page.reload()
    assert page.locator("#timeline .entry").count() == entries


def test_deleting_asks_first_and_can_be_undone(page, alices_account):
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")
    first = page.locator("#timeline .entry").first
    text = first.inner_text()
    first.get_by_text("Delete").click()
    page.get_by_role("button", name="Delete").click()
    page.wait_for_selector("[data-testid=change-note]")
    page.wait_for_function(
        "text => !document.querySelector('#timeline .entry').innerText.includes(text)",
        arg=text.split("\n")[0],
    )

    page.get_by_role("button", name="Undo").first.click()

    page.wait_for_selector("text=Restored")
    page.wait_for_function(
        "text => document.querySelector('#timeline .entry').innerText.includes(text)",
        arg=text.split("\n")[0],
    )


def test_older_entries_load_as_you_scroll(page, alices_account):
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")
    entries = page.locator("#timeline .entry")
    assert entries.count() == 20

    page.locator("#timeline .more").scroll_into_view_if_needed()

    expect(entries).to_have_count(26)
    assert "Weekly call 26" in entries.last.inner_text()
    assert page.locator("#timeline .more").count() == 0


def test_a_save_the_server_cannot_take_says_so_and_a_retry_goes_through(page, alices_account):
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/")  # loaded, so the form opens in place
    page.click("text=Log a meeting")
    page.wait_for_selector("#log-panel form.interaction-form")
    page.fill("#id_notes", "Quarterly review")

    # The database is away: the server answers its 503 page (config/middleware.py).
    def unavailable(route):
        if route.request.method == "POST":
            route.fulfill(status=503, body="<h1>Briefly unavailable</h1>", content_type="text/html")
        else:
            route.continue_()

    page.route("**/accounts/*/log/", unavailable)
    page.click("form.interaction-form button[type=submit]")

    banner = page.locator("#request-error")
    expect(banner).to_have_text(
        "The service is briefly unavailable, so that was not saved. Please try again in a moment."
    )
    expect(page.locator("#id_notes")).to_have_value("Quarterly review")  # nothing typed is lost

    page.unroute("**/accounts/*/log/")
    page.click("form.interaction-form button[type=submit]")

    expect(page.locator("[data-testid=change-note]")).to_contain_text("Logged")
    expect(banner).to_have_count(0)
    expect(page.locator("#timeline .entry").first).to_contain_text("Quarterly review")


def test_the_log_page_opened_on_its_own_saves_and_returns_to_the_account(page, alices_account):
    """A "Log a meeting" link opened in a new tab, or clicked before the page's scripts ran,
    lands on the form as a page of its own; it must save there too."""
    login(page, "alice")
    page.goto(f"/accounts/{alices_account.pk}/log/")
    page.fill("#id_notes", "Notes typed on the stand-alone page")
    tick_signal(page, "Invited to planning")
    page.click("form.interaction-form button[type=submit]")

    page.wait_for_url(f"**/accounts/{alices_account.pk}/")
    expect(page.locator(".messages")).to_contain_text("Logged — score")
    first = page.locator("#timeline .entry").first
    expect(first).to_contain_text("Notes typed on the stand-alone page")
    expect(first).to_contain_text("Invited to planning")

    # A mistake on that page is shown there, next to the field, and nothing is saved.
    page.goto(f"/accounts/{alices_account.pk}/log/")
    page.fill("#id_notes", "Never saved")
    page.click("text=Someone new took part")
    page.fill("#id_new_contact_title", "CFO")
    page.click("form.interaction-form button[type=submit]")
    expect(page.locator(".field.has-error")).to_contain_text("Give the new contact's name")
    expect(page.locator("#id_notes")).to_have_value("Never saved")
    page.click("text=Cancel")
    page.wait_for_url(f"**/accounts/{alices_account.pk}/")
    expect(page.locator("#timeline")).not_to_contain_text("Never saved")
    expect(page.locator("#timeline .entry").first).to_contain_text("stand-alone page")
    assert page.console_errors == []
