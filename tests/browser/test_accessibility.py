"""Every page, in each role, at a desktop width (1280 px) and a phone width (390 px), on the
demo portfolio: axe-core finds no serious or critical violation, nothing is cut off or scrolls
sideways inside the page on the desktop, and nothing makes the page scroll sideways on the phone.

Each role's pages are visited once, at the desktop width, then looked at again after the window
is narrowed to the phone's (the layout follows CSS media queries, so no reload is needed);
every problem found is listed in one failure, with the page, role and width.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize

from accounts import roles
from accounts.models import Account
from relationships.capture.models import CapturedItem, CaptureSource, ItemKind, SourceKind
from relationships.models import SignalType
from scoring.selectors import profile_active
from tests.browser.conftest import (
    WatchedPage,
    axe_problems,
    login,
    screenshot,
    settle,
    worker_runs_the_queue,
)
from tests.conftest import ensure_migrated_rows
from tests.factories import UserFactory
from webhooks import services as webhook_services
from webhooks.events import EVENT_TYPES
from webhooks.models import Delivery, DeliveryStatus, Endpoint

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
# A revenue in the billions, so that the widest figures (thousands separators and all) must fit
# the tiles and tables.
LARGE_REVENUE = Decimal("4850000000")


@dataclass
class Visit:
    name: str
    path: str
    # What to do once the page is loaded, to show the state that is checked (a form open).
    then: Callable[[Page], None] | None = None
    # Pages that answer an error status log it in the console; others must log nothing.
    status: int = 200
    # docs/screenshots/<name>.png of the phone's window (UPDATE_SCREENSHOTS=1), scrolled to
    # `picture_of` if given.
    phone_picture: str = ""
    picture_of: str = ""


def _open_log_form(page: Page) -> None:
    page.click("text=Log a meeting")
    page.wait_for_selector("#log-panel form.interaction-form")


def _show_a_refused_log(page: Page) -> None:
    """The log form with errors next to its fields."""
    _open_log_form(page)
    page.fill("#id_occurred_on", "2999-01-01")
    page.click("form.interaction-form button[type=submit]")
    page.wait_for_selector("form.interaction-form .has-error")


def _open_team_form(page: Page) -> None:
    page.click("summary:has-text('Owner and sharing')")


def _show_import_problems(page: Page) -> None:
    page.set_input_files(
        "#id_accounts",
        {
            "name": "accounts.csv",
            "mimeType": "text/csv",
            "buffer": b"not,the,right,header\n1,2,3,4\n",
        },
    )
    page.set_input_files(
        "#id_interactions",
        {"name": "interactions.csv", "mimeType": "text/csv", "buffer": b"x\n"},
    )
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_selector("[data-testid=import-problems]")


def _show_a_refused_account(page: Page) -> None:
    """The account form with errors next to its fields."""
    page.fill("#id_name", " ")
    page.fill("#id_annual_revenue", "-1")
    page.fill("#id_domains", "not a domain")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.wait_for_selector("main form .has-error")


def _make_a_feed(page: Page) -> None:
    with page.expect_navigation():
        page.click("button[value=feed_create]")
    page.wait_for_selector("[data-testid=feed-url]")


def _refuse_an_hour(page: Page) -> None:
    """The settings form with an error by its field (a browser offers only valid hours, so
    the page's own form is given one it does not offer)."""
    page.evaluate("document.querySelector('#id_hour option').value = '99'")
    page.select_option("#id_hour", index=0)
    with page.expect_navigation():
        page.click("button[value=save]")
    page.wait_for_selector(".has-error")


def _make_a_token(page: Page) -> None:
    """The tokens page with a new token shown and a second, used one in the list."""
    for name in ("BI nightly export", "ERP sync"):
        page.fill("#id_name", name)
        with page.expect_navigation():
            page.click("button[value=create]")
    page.wait_for_selector("[data-testid=new-token]")


def _refuse_a_token_name(page: Page) -> None:
    page.fill("#id_name", " ")
    with page.expect_navigation():
        page.click("button[value=create]")
    page.wait_for_selector(".has-error")


def _capture_waiting_for(alice, account: Account) -> CapturedItem:
    """Alice's calendar and mail: a connected calendar whose last sync failed, an upload, a
    meeting matched to `account` and one matched to nobody; the matched one."""
    now = timezone.now()
    CaptureSource.objects.create(
        owner=alice,
        kind=SourceKind.CALDAV,
        name="https://caldav.example/alice/work/",
        url="https://caldav.example/alice/work/",
        username="alice",
        last_attempt_at=now,
        last_error="The calendar server did not answer (connection refused).",
    )
    upload = CaptureSource.objects.create(
        owner=alice,
        kind=SourceKind.CALENDAR_FILE,
        name="work-calendar-export-2026.ics",
        found=2,
        matched=1,
        skipped_private=1,
        last_attempt_at=now,
        last_success_at=now,
    )
    contact = account.contacts.order_by("pk").first()
    assert contact is not None, "Alice's busiest account has people"
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    matched = CapturedItem.objects.create(
        owner=alice,
        source=upload,
        kind=ItemKind.EVENT,
        uid="review@calendar",
        occurred_on=yesterday,
        starts_at=now - datetime.timedelta(days=1),
        subject="Quarterly business review with the operations team",
        addresses=[contact.email or "ops@client.example"],
        from_client=True,
        account=account,
    )
    matched.participants.add(contact)
    CapturedItem.objects.create(
        owner=alice,
        source=upload,
        kind=ItemKind.EVENT,
        uid="intro@calendar",
        occurred_on=yesterday,
        subject="Introduction call",
        addresses=["someone@unknown-prospect.example"],
    )
    return matched


def _endpoint_with_deliveries(sam) -> Endpoint:
    """An endpoint with a delivered test event and one the receiver refused until it gave up."""
    endpoint = webhook_services.endpoint_create(
        url="https://bi.example.com/hooks/relationships",
        events=list(EVENT_TYPES),
        description="The BI team's nightly listener",
        actor=sam,
    )
    now = timezone.now()
    webhook_services.endpoint_test(endpoint=endpoint)
    webhook_services.endpoint_test(endpoint=endpoint)
    delivered, failed = Delivery.objects.filter(endpoint=endpoint).order_by("pk")
    Delivery.objects.filter(pk=delivered.pk).update(
        status=DeliveryStatus.DELIVERED,
        attempts=1,
        response_status=204,
        last_attempt_at=now,
        delivered_at=now,
        next_attempt_at=None,
    )
    Delivery.objects.filter(pk=failed.pk).update(
        status=DeliveryStatus.FAILED,
        attempts=8,
        response_status=500,
        last_attempt_at=now,
        next_attempt_at=None,
        error="The receiver answered 500 Internal Server Error.",
    )
    return endpoint


def _wait_for_charts(page: Page) -> None:
    page.wait_for_function(
        "[...document.querySelectorAll('[data-chart]')].every(c => c.dataset.drawn === 'true')"
    )


def _cut_off(page: Page) -> list[str]:
    """Boxes whose content is wider than they are: a table wider than its wrapper (which then
    scrolls sideways), a number running out of its tile. Inline text, form fields (whose value
    scrolls inside them by nature), hidden text and the charts' own insides do not count."""
    return page.evaluate(
        """() => [...document.querySelectorAll("main *")].filter(box => {
            const skipped = ".js-plotly-plot, .visually-hidden, input, select, textarea";
            if (box.closest(skipped) || box.offsetParent === null) return false;
            if (getComputedStyle(box).display === "inline") return false;
            return box.scrollWidth > box.clientWidth + 1;
        }).map(box => {
            const inner = box.querySelector("[data-testid]");
            const name = box.dataset.testid ? `[data-testid=${box.dataset.testid}]`
                : box.tagName.toLowerCase() + (box.id ? "#" + box.id : "")
                  + (box.className ? "." + box.className.split(" ").join(".") : "");
            return name + (inner ? ` holding [data-testid=${inner.dataset.testid}]` : "");
        })"""
    )


def _page_scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


def _sweep(page: WatchedPage, who: str, visits: list[Visit]) -> list[str]:
    problems = []
    for visit in visits:
        page.set_viewport_size(DESKTOP)
        page.console_errors.clear()
        response = page.goto(visit.path)
        assert response is not None and response.status == visit.status, (visit.name, who)
        if visit.then:
            visit.then(page)
        settle(page)
        _wait_for_charts(page)
        where = f"{visit.name} ({visit.path}, {who}, 1280 px)"
        problems += axe_problems(page, where)
        problems += [f"{where}: {box} is cut off or scrolls sideways" for box in _cut_off(page)]

        page.set_viewport_size(PHONE)
        settle(page)
        where = f"{visit.name} ({visit.path}, {who}, 390 px)"
        problems += axe_problems(page, where)
        if visit.phone_picture:
            if visit.picture_of:
                page.locator(visit.picture_of).scroll_into_view_if_needed()
            screenshot(page, visit.phone_picture, full_page=False)
        if _page_scrolls_sideways(page):
            width = page.evaluate("document.documentElement.scrollWidth")
            problems.append(f"{where}: the page scrolls sideways ({width} px wide)")
        if visit.status == 200 and page.console_errors:
            problems.append(f"{visit.name} ({who}): console errors {page.console_errors}")
    return problems


def _fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail(
            f"{len(problems)} accessibility or layout problems:\n" + "\n".join(problems),
            pytrace=False,
        )


@pytest.fixture
def demo(transactional_db):
    """The 40-account demo portfolio (password `demo`), with its largest account made far
    larger so that the widest numbers are on every page."""
    ensure_migrated_rows()
    call_command("seed_demo", "--accounts", "40", verbosity=0)
    largest = Account.objects.order_by("-annual_revenue").first()
    Account.objects.filter(pk=largest.pk).update(annual_revenue=LARGE_REVENUE)
    return largest


def _alices_busiest_account() -> Account:
    """Alice's active account with the most contacts (the log form's longest)."""
    account = (
        Account.objects.filter(owner__username="alice", status="active")
        .annotate(people=Count("contacts"))
        .order_by("-people", "pk")
        .first()
    )
    assert account is not None, "the demo gives Alice active accounts"
    return account


def test_sign_in_page(page, demo):
    _fail_on(_sweep(page, "signed out", [Visit("sign-in", "/login/")]))


def test_every_page_of_an_account_manager(page, demo):
    alice = get_user_model().objects.get(username="alice")
    account = _alices_busiest_account()
    entry = account.interactions.filter(logged_by=alice).first()
    # No account of Alice's is lost in the demo; one shared with her shows how a lost one reads.
    lost = Account.objects.filter(status="lost").order_by("pk").first()
    lost.shared_with.add(alice)
    captured = _capture_waiting_for(alice, account)
    login(page, "alice", "demo")
    problems = _sweep(
        page,
        "alice, account manager",
        [
            Visit("account list", "/", phone_picture="account-list-phone"),
            Visit(
                "account page, log form open",
                f"/accounts/{account.pk}/",
                _open_log_form,
                phone_picture="log-form-phone",
                picture_of="fieldset.signals",
            ),
            Visit("account page, log refused", f"/accounts/{account.pk}/", _show_a_refused_log),
            Visit("log page", f"/accounts/{account.pk}/log/"),
            Visit("edit entry page", f"/interactions/{entry.pk}/edit/"),
            Visit("delete entry page", f"/interactions/{entry.pk}/delete/"),
            Visit("lost account page", f"/accounts/{lost.pk}/"),
            Visit("account details", f"/accounts/{account.pk}/details/"),
            Visit("contact edit page", f"/contacts/{account.contacts.first().pk}/edit/"),
            Visit("account list, a person found", "/?q=a"),
            Visit("password change", "/password/change/"),
            Visit("reminder settings", "/settings/reminders/"),
            Visit("reminder settings, feed made", "/settings/reminders/", _make_a_feed),
            Visit("reminder settings, hour refused", "/settings/reminders/", _refuse_an_hour),
            Visit("API tokens, one made", "/settings/api-tokens/", _make_a_token),
            Visit("API tokens, name refused", "/settings/api-tokens/", _refuse_a_token_name),
            Visit("meetings to confirm", "/capture/"),
            Visit("confirm with signals", f"/capture/items/{captured.pk}/confirm/"),
            Visit("calendars and mail", "/capture/sources/"),
            Visit("not found", "/accounts/999999999/", status=404),
            Visit("refused", "/dashboard/", status=403),
        ],
    )
    _fail_on(problems)


def test_every_page_of_a_sales_lead(page, demo):
    account = _alices_busiest_account()
    lost, archived = Account.objects.filter(status="lost").order_by("pk")[:2]
    Account.objects.filter(pk=archived.pk).update(status="archived")
    login(page, "lena", "demo")
    problems = _sweep(
        page,
        "lena, sales lead",
        [
            Visit("account list", "/"),
            Visit("account page, team form open", f"/accounts/{account.pk}/", _open_team_form),
            Visit("lost account page", f"/accounts/{lost.pk}/"),
            Visit("archived account page", f"/accounts/{archived.pk}/"),
            Visit("account list with lost and archived", "/?closed=1"),
            Visit("new account", "/accounts/new/"),
            Visit("new account refused", "/accounts/new/", _show_a_refused_account),
            Visit("account details with owner", f"/accounts/{account.pk}/details/"),
            Visit("mark lost", f"/accounts/{account.pk}/lost/"),
            Visit("portfolio dashboard", "/dashboard/"),
            Visit("import and export", "/import/"),
            Visit("import refused", "/import/", _show_import_problems),
            Visit("password change", "/password/change/"),
            Visit("reminder settings, worker not running", "/settings/reminders/"),
        ],
    )
    _fail_on(problems)


def test_every_page_of_a_scoring_admin(page, demo):
    live = profile_active().version
    login(page, "sam", "demo")
    # A draft, with its preview, and the live version's backtest run by the worker.
    page.goto("/tuning/")
    with page.expect_navigation():
        page.click(f"text=Start a draft from v{live}")
    draft = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.click("text=Run the backtest")
    page.wait_for_selector("text=Queued for the background worker")
    settle(page)
    worker_runs_the_queue()
    endpoint = _endpoint_with_deliveries(get_user_model().objects.get(username="sam"))
    problems = _sweep(
        page,
        "sam, scoring admin",
        [
            Visit("account list", "/"),
            Visit("portfolio dashboard", "/dashboard/"),
            Visit("tuning", "/tuning/"),
            Visit(
                "draft with preview and backtest",
                f"/tuning/versions/{draft}/",
                lambda page: page.wait_for_selector("[data-testid=verdict]"),
            ),
            Visit("signal catalog", "/catalog/"),
            Visit("import and export", "/import/"),
            Visit("password change", "/password/change/"),
            Visit("webhooks", "/webhooks/"),
            Visit("webhook endpoint with its delivery log", f"/webhooks/{endpoint.pk}/"),
        ],
    )
    _fail_on(problems)


def test_the_lists_turn_into_cards_on_a_phone(phone_page, lena, alices_account, bobs_account):
    """The account list, the signal catalog and the tuning page's versions: one card per row,
    each cell with its column's name, nothing wider than the phone."""
    sam = UserFactory(username="sam")
    sam.groups.add(Group.objects.get(name=roles.SCORING_ADMIN))
    page = phone_page
    for username, path, table, rows in (
        ("lena", "/", "account-list", 2),
        ("sam", "/catalog/", "catalog", SignalType.objects.count()),
        ("sam", "/tuning/", "versions", 1),
    ):
        login(page, username)
        page.goto(path)
        cards = page.locator(f"[data-testid={table}] > tbody > tr:not(.group-row)")
        assert cards.count() == rows, (path, cards.count())
        for card in cards.all():
            assert card.evaluate("row => getComputedStyle(row).display") == "grid", path
            box = card.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], path
        labels = page.evaluate(
            """table => [...document.querySelectorAll(`[data-testid=${table}] td[data-label]`)]
                .map(cell => getComputedStyle(cell, "::before").content)""",
            table,
        )
        assert labels and all(label.endswith(': "') for label in labels), (path, labels[:3])
        assert not _page_scrolls_sideways(page), path
        page.context.clear_cookies()
