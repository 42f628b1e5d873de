"""The count in the header costs no query: the session remembers the count the Today panel
made, for the day it was made."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reminders.selectors import inbox_for
from tests.reminders.conftest import TODAY, overdue_step


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _header(html: str) -> str:
    return html[html.index('data-testid="header-today"') :][:200]


def test_the_header_shows_todays_count_and_costs_no_query(client, alice, alices_accounts):
    client.force_login(alice)
    account_page = reverse("account-detail", args=[alices_accounts["step"].pk])
    without_count = _queries(client, account_page)
    assert ">4<" not in _header(client.get(account_page).content.decode())

    client.get(reverse("home"))  # the Today panel counts, and the session remembers
    html = client.get(account_page).content.decode()
    assert 'class="badge count">4<span class="visually-hidden"> due</span>' in _header(html)
    assert _queries(client, account_page) == without_count
    assert _queries(client, reverse("password_change")) <= 5  # session, user, and nothing more


def test_a_count_from_another_day_is_not_shown(client, alice):
    overdue_step(alice)
    client.force_login(alice)
    client.get(reverse("home"))
    session = client.session
    session["reminders_due"] = [(TODAY - datetime.timedelta(days=1)).isoformat(), 9]
    session.save()
    assert "count" not in _header(client.get(reverse("password_change")).content.decode())


def test_marking_a_reminder_updates_the_count(client, alice):
    overdue_step(alice)
    overdue_step(alice, "Second Account")
    client.force_login(alice)
    client.get(reverse("home"))
    first = inbox_for(alice, TODAY).reminders[0]
    client.post(reverse("reminder-mark"), {"key": first.key, "action": "done"})
    assert ">1<span" in _header(client.get(reverse("password_change")).content.decode())


@pytest.mark.parametrize("accounts", [3, 30])
def test_the_home_page_of_a_lead_costs_the_same_whatever_the_portfolio(
    client, alice, lena, accounts
):
    for n in range(accounts):
        overdue_step(alice, f"Account {n:02d}")
    client.force_login(lena)
    client.get(reverse("home"))
    # Once the count is remembered: the list's 9 queries (unscored accounts: no trend to
    # read), the Today panel's 6 (marks, accounts, silence, last digest, latest and earlier
    # snapshots), the worker's health and the count of captured meetings to confirm.
    assert _queries(client, reverse("home")) == 17
