"""The dashboard's body kept for a few seconds (pages/kept.py): a second sales lead asking the
same thing gets it without its queries, whoever wrote sees their change at once, and the
others see it once the kept body has gone."""

import itertools
import subprocess
import time
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from config.caches import KEPT
from pages import kept
from tests.factories import AccountFactory, UserFactory
from tests.scoring.test_dashboard import HTMX, _standing
from tests.test_settings import settings_loaded


@pytest.fixture
def lara(migrated_rows):
    """A second sales lead, in a browser of her own."""
    user = UserFactory(username="lara")
    user.groups.add(Group.objects.get(name=roles.SALES_LEAD))
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def book(alice, bob):
    """Two accounts at risk, each in the dashboard's at-risk list."""
    north = AccountFactory(name="North", owner=alice, annual_revenue=100_000)
    south = AccountFactory(name="South", owner=bob, annual_revenue=200_000)
    _standing(north, stage="vendor", score=20, risk=70)
    _standing(south, stage="consultant", score=60, risk=60)
    return {"north": north, "south": south}


def _page(browser, **filters) -> str:
    response = browser.get(reverse("dashboard"), filters)
    assert response.status_code == 200
    return response.content.decode()


def _at_risk(html: str) -> str:
    """The at-risk list of the page or fragment."""
    start = html.index('data-testid="at-risk"')
    return html[start : html.index("</ol>", start)]


def _body(html: str) -> str:
    start = html.index('<div id="dashboard-body"')
    return html[start : html.index("</main>", start)]


def _lose(browser, account) -> None:
    response = browser.post(
        reverse("account-lost", args=[account.pk]),
        {
            "lost_on": timezone.localdate().isoformat(),
            "reason": "competitor",
            "note": "Re-tendered.",
        },
    )
    assert response.status_code == 302


def test_a_second_lead_gets_the_body_the_first_had_rendered_without_its_queries(
    client, lena, lara, book, django_assert_max_num_queries
):
    client.force_login(lena)
    first = _page(client, stage="vendor")
    with django_assert_max_num_queries(6):  # the session, the user, the role and the version
        again = _page(lara, stage="vendor")
    assert _body(again) == _body(first) and "North" in _at_risk(again)
    assert again != first  # the page around the body is hers (her name, her form token)

    # Another filter is another body; the fragment a filter change asks for is that body.
    fragment = lara.get(reverse("dashboard"), {"stage": "consultant"}, **HTMX).content.decode()
    assert "<html" not in fragment and "South" in _at_risk(fragment)
    assert "North" not in _at_risk(fragment)
    assert fragment.strip() in _page(client, stage="consultant")


def test_whoever_wrote_sees_their_change_at_once_and_the_others_seconds_later(
    client, lena, lara, book, settings
):
    settings.DASHBOARD_CACHE_SECONDS = 1
    client.force_login(lena)
    assert "North" in _at_risk(_page(client))
    _lose(client, book["north"])  # it leaves the active lists

    assert "North" in _at_risk(_page(lara))  # the body kept from before the write
    assert "North" not in _at_risk(_page(client))  # rendered afresh for whoever wrote
    time.sleep(1.1)  # the kept body has gone
    assert "North" not in _at_risk(_page(lara))


def test_nothing_is_kept_when_the_setting_is_zero(client, lena, lara, book, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    client.force_login(lena)
    assert "North" in _at_risk(_page(client))
    _lose(lara, book["north"])
    assert "North" not in _at_risk(_page(client))


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    """The settings loaded afresh with `env`, printing how long a body is kept."""
    return settings_loaded(
        env, "print(settings.DASHBOARD_CACHE_SECONDS)", dropping=("DATABASE_", "DASHBOARD_")
    )


@pytest.mark.parametrize("keep", ["-1", "9", "30", "2.5", "²", "five"])
def test_a_page_kept_past_the_read_your_writes_window_is_refused(keep):
    started = _settings(DASHBOARD_CACHE_SECONDS=keep)  # the window: 10 seconds
    assert started.returncode != 0
    assert "DASHBOARD_CACHE_SECONDS must be 0 (render every request)" in started.stderr
    assert f"not {keep!r}" in started.stderr


def test_a_short_read_your_writes_window_allows_only_zero():
    started = _settings(DATABASE_REPLICA_PRIMARY_SECONDS="1", DASHBOARD_CACHE_SECONDS="1")
    assert started.returncode != 0
    assert "minus 2 (only 0 here), not '1'" in started.stderr


@pytest.mark.parametrize(
    ("window", "keep", "kept"),
    [("10", "", "5"), ("10", "8", "8"), ("4", "", "2"), ("1", "", "0"), ("0", "0", "0")],
)
def test_the_default_keeps_a_body_within_any_read_your_writes_window(window, keep, kept):
    started = _settings(DATABASE_REPLICA_PRIMARY_SECONDS=window, DASHBOARD_CACHE_SECONDS=keep)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == kept


def test_without_its_cache_the_dashboard_is_rendered(client, lena, book, settings, caplog):
    settings.CACHES = {
        **settings.CACHES,
        KEPT: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },  # nothing listens there
    }
    client.force_login(lena)
    assert "North" in _at_risk(_page(client))
    assert "North" in _at_risk(_page(client))
    assert "could not be read" in caplog.text


def test_a_body_that_took_long_to_render_is_not_kept(client, lena, lara, book, monkeypatch):
    """Kept, it could outlive the read-your-writes window of a write made while it rendered:
    with a window of 10 s and bodies kept 5 s, a render of 4.5 s is not kept (the window's
    whole seconds take one more)."""
    clock = itertools.count(0, 4.5)  # each reading 4.5 seconds after the one before
    monkeypatch.setattr(kept, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    client.force_login(lena)
    with CaptureQueriesContext(connection) as first:
        _page(client, stage="vendor")
    with CaptureQueriesContext(connection) as again:
        _page(lara, stage="vendor")
    assert len(again) == len(first) > 10  # rendered again: nothing was kept
