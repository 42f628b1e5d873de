"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright.

Playwright only brings the driver; the browser is the system's own (`apt-get install
chromium`), found at CHROMIUM_PATH (default /usr/bin/chromium). Without it the tests are
skipped on a developer machine, and fail where REQUIRE_BROWSER=1 (.ci/run sets it) or CI=true
(most CI services set it).

Fixtures: `browser`, `page` (1280 x 800), `phone_page` (390 x 844), the personas `alice` and
`bob` (account managers, one account each: `alices_account`, `bobs_account`) and `lena`
(their sales lead). Helpers: `login(page, username)` through the real form,
`tick_signal(page, name)` in the log form, `screenshot(page, name)` for the README's
pictures, and `axe_problems(page, where)`, which runs axe-core (installed from npm, see
package.json) on the page as it stands.

Each test runs against pytest-django's live server on the test database. The database is
flushed after each of these tests; `ensure_migrated_rows` puts back what migrations created
(the role groups, the signal catalog, the default scoring profile).
"""

from __future__ import annotations

import datetime
import functools
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test import override_settings
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from django.utils import timezone
from playwright.sync_api import Browser, Page, Request, sync_playwright
from pytest_django.live_server_helper import LiveServer

from accounts import roles
from relationships.models import SignalType, TrustSignal
from scoring.services import account_rescore
from tests.conftest import ensure_migrated_rows, work_the_queue
from tests.factories import AccountFactory, ContactFactory, InteractionFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# What fails a test: axe ranks each violation minor, moderate, serious or critical.
AXE_FAILING_IMPACTS = ("serious", "critical")


def _browser_required() -> bool:
    """CI (REQUIRE_BROWSER=1, or the CI variable most CI services set) fails without one."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}
        for name in ("REQUIRE_BROWSER", "CI")
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True))


# Held by the live server while it answers a request, and by a test while it works on the
# database behind the page's back (`worker_runs_the_queue`): see _OneRequestAtATime.
SERVER_TURN = threading.Lock()


class _TurnTakingServer(WSGIServer):
    def process_request(self, request, client_address):
        with SERVER_TURN:
            super().process_request(request, client_address)


class _OneRequestAtATime(LiveServerThread):
    """A live server that answers one request at a time, and none while the test holds
    SERVER_TURN.

    On SQLite the test database lives in memory, on one connection that the server shares
    with the test. The default threaded server would run the page's panels, which htmx
    refreshes together, as concurrent transactions on that one connection; and a page that
    polls would run its request in the middle of what the test itself does on it.
    """

    def _create_server(self, connections_override=None):
        return _TurnTakingServer(
            (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False
        )


def worker_runs_the_queue() -> None:
    """The background worker runs every queued task, with the page's requests (a poll, say)
    held back meanwhile: on SQLite they would share the worker's connection."""
    with SERVER_TURN:
        work_the_queue()


class _SerialLiveServer(LiveServer):
    def __init__(self, addr: str):
        super().__init__(addr, start=False)
        threaded = self.thread
        self.thread = _OneRequestAtATime(
            threaded.host,
            threaded.static_handler,
            connections_override=threaded.connections_override,
            port=threaded.port,
        )
        self.thread.daemon = True
        self.start()


@pytest.fixture(scope="session")
def live_server(request, django_db_setup) -> Iterator[LiveServer]:
    """pytest-django's live server, answering one request at a time (see above).

    Static files come from the staticfiles finders (pytest-django serves them whenever
    django.contrib.staticfiles is installed), so no collectstatic is needed.

    Started after the test database is created and stopped before it is dropped: the server
    thread keeps its PostgreSQL connection open (CONN_MAX_AGE) until it stops, and
    PostgreSQL refuses to drop a database someone is connected to.

    It speaks plain HTTP, so the redirect to HTTPS is off for as long as it runs (the
    security middleware reads that setting once, when the server starts).
    """
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = _SerialLiveServer(
            request.config.getvalue("liveserver")
            or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
            or "localhost"
        )
        yield server
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, started once per test session (each test gets a context).

    Started only when a browser test runs: `pytest -m "not browser"` never starts Playwright
    and keeps Django's async-safety check for the whole run.
    """
    if not os.access(CHROMIUM, os.X_OK):
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if _browser_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop running in the test's thread, and Django
    # refuses ORM calls from a thread with a running loop unless told it is safe. It is here:
    # nothing else runs in that loop. Allowed from the moment the browser starts to the end
    # of the session, since the loop runs as long as the browser.
    # https://docs.djangoproject.com/en/5.2/topics/async/#async-safety
    # With that loop running, Django keeps the thread's connections in the loop's context
    # (asgiref's Local) and no longer sees those it opened before. One left open there would
    # outlive the browser tests unseen, and a process forked from this thread afterwards (the
    # recompute's lanes) would find it open and share its socket with its siblings: closed
    # first, so nothing is left behind.
    connections.close_all()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            yield browser
            browser.close()
        finally:
            playwright.stop()


class WatchedPage(Page):
    """A page as `_page` makes it: one that also collects its console errors and the requests
    it has in flight (the type checker's view; the object is Playwright's own Page)."""

    console_errors: list[str]
    in_flight: set[Request]


def _page(browser: Browser, live_server, width: int, height: int) -> Iterator[WatchedPage]:
    """A page in a fresh context (no cookies) whose addresses are relative to the live server.

    `page.console_errors` collects console errors and uncaught exceptions as they happen,
    for tests to assert on (a 404 navigation logs one too).
    """
    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=live_server.url
    )
    context.set_default_timeout(10_000)
    # Playwright's Page, given the two attributes of a WatchedPage just below.
    page = cast(WatchedPage, context.new_page())
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.in_flight = set()
    page.on("request", lambda request: page.in_flight.add(request))
    page.on("requestfinished", lambda request: page.in_flight.discard(request))
    page.on("requestfailed", lambda request: page.in_flight.discard(request))
    yield page
    # A request still running in the live server holds table locks that the test's data
    # wipe (TRUNCATE, on PostgreSQL) would deadlock with: let the page's requests end first.
    settle(page)
    context.close()


def settle(page: WatchedPage, *, quiet_ms: int = 300, limit_s: float = 10) -> None:
    """Wait until the page has had no request in flight for `quiet_ms` (panels that refresh
    themselves after an event have then done so)."""
    deadline = time.monotonic() + limit_s
    quiet_since = None
    while time.monotonic() < deadline:
        if page.in_flight:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_ms / 1000:
            return
        page.wait_for_timeout(50)  # lets the browser's events through


@pytest.fixture
def page(browser, live_server) -> Iterator[Page]:
    """A desktop-sized page (1280 x 800) in a fresh browser context."""
    yield from _page(browser, live_server, 1280, 800)


@pytest.fixture
def phone_page(browser, live_server) -> Iterator[Page]:
    """A phone-sized page (390 x 844) in a fresh browser context."""
    yield from _page(browser, live_server, 390, 844)


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real login form; fails at once, with the form's error, if refused."""
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    if urlsplit(page.url).path == "/login/":
        pytest.fail(f"Signing in as {username} failed: {page.inner_text('main')}")


def tick_signal(page: Page, name: str) -> None:
    """Tick a trust signal in the log form, opening its category first if it is closed (the
    form opens only the most used ones)."""
    chip = page.locator("label.chip-toggle", has_text=name)
    group = page.locator("details.signal-group", has=chip)
    if group.get_attribute("open") is None:
        group.locator("summary").click()
    chip.click()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save docs/screenshots/<name>.png for the README, when UPDATE_SCREENSHOTS=1 (the
    window only, for pages too long to show whole)."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


@functools.cache
def _axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `npm ci` (make install)", pytrace=False)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def htmx_settled(page: Page) -> None:
    """Wait until no htmx request is in flight, swapping or settling: content that is not
    settled is not finished (the app's scripts make a scrolling table reachable, draw a
    chart and move the focus as it settles)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations on the page as it stands, every rule axe runs by default (WCAG
    2.0-2.2 A and AA, and its best practices): each with the rule, its impact, what it asks
    and the elements that break it.

    axe is evaluated through the DevTools protocol rather than added as a <script> element:
    the app's Content Security Policy refuses inline scripts (page.add_script_tag is one),
    and the page must be tested under the policy it ships with.
    """
    htmx_settled(page)
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                rule: v.id, impact: v.impact, help: v.help,
                elements: v.nodes.map(node => node.target.join(" ")),
            }));
        }"""
    )


def axe_problems(page: Page, where: str) -> list[str]:
    """One readable line per serious or critical axe violation: rule, what it asks, the page
    (`where` says in which role and width) and the elements, for a test to fail on."""
    problems = []
    for violation in axe_violations(page):
        if violation["impact"] not in AXE_FAILING_IMPACTS:
            continue
        elements = violation["elements"]
        shown = ", ".join(elements[:3]) + (
            f" and {len(elements) - 3} more" if len(elements) > 3 else ""
        )
        problems.append(
            f"{where}: {violation['impact']} {violation['rule']} ({violation['help']}) at {shown}"
        )
    return problems


def make_manager(username: str, first_name: str, last_name: str):
    ensure_migrated_rows()
    user = UserFactory.create(username=username, first_name=first_name, last_name=last_name)
    user.groups.add(Group.objects.get(name=roles.ACCOUNT_MANAGER))
    return user


@pytest.fixture
def alice(transactional_db):
    return make_manager("alice", "Alice", "Moreau")


@pytest.fixture
def bob(transactional_db):
    return make_manager("bob", "Bob", "Okafor")


@pytest.fixture
def alices_account(alice):
    """An account with half a year of weekly meetings and some planning invitations, scored."""
    account = AccountFactory(name="Northwind Freight", owner=alice, industry="Logistics")
    ContactFactory(account=account, name="Dana Reyes", title="COO")
    ContactFactory(account=account, name="Kim Ode", title="Head of Planning")
    planning = SignalType.objects.get(slug="delivered_as_promised")
    today = timezone.localdate()
    for week in range(26, 0, -1):
        day = today - datetime.timedelta(weeks=week)
        interaction = InteractionFactory(
            account=account, occurred_on=day, notes=f"Weekly call {week}"
        )
        if week % 6 == 0:
            TrustSignal.objects.create(
                account=account, signal_type=planning, observed_on=day, interaction=interaction
            )
    account_rescore(account_id=account.pk)
    return account


@pytest.fixture
def lena(transactional_db):
    ensure_migrated_rows()
    user = UserFactory(username="lena", first_name="Lena", last_name="Fischer")
    user.groups.add(Group.objects.get(name=roles.SALES_LEAD))
    return user


@pytest.fixture
def bobs_account(bob):
    return AccountFactory(name="Bluepeak Foods", owner=bob)
