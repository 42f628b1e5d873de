"""The team is listed by the name the app shows for each person: first and last name, or the
user name of someone who has neither, whatever its case. Someone known only by a user name
sorts under it, not before (or after) everyone who has a name."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse

from accounts import roles
from accounts.selectors import account_managers, by_name
from scoring.services import account_rescore
from tests.factories import AccountFactory, InteractionFactory, UserFactory

SHOWN = ["Alice", "Bob", "mallory", "Zoe Zeller"]


@pytest.fixture
def team(alice, bob):
    """Alice and Bob, mallory who gave only a user name (in lower case, as user names are),
    and Zoe Zeller (user name "zz")."""
    group = Group.objects.get(name=roles.ACCOUNT_MANAGER)
    mallory = UserFactory.create(username="mallory", first_name="", last_name="")
    zoe = UserFactory.create(username="zz", first_name="Zoe", last_name="Zeller")
    for user in (mallory, zoe):
        user.groups.add(group)
    return [alice, bob, mallory, zoe]


def test_the_team_is_listed_by_the_names_shown(team):
    assert [manager.get_full_name() or manager.username for manager in account_managers()] == (
        SHOWN
    )


def test_the_dashboard_lists_managers_and_offers_them_by_the_names_shown(client, lena, team):
    for manager in team:
        account = AccountFactory(owner=manager)
        InteractionFactory(account=account, occurred_on=datetime.date(2026, 10, 1))
        account_rescore(account_id=account.pk, as_of=datetime.date(2026, 11, 20))
    client.force_login(lena)

    page = client.get(reverse("dashboard")).content.decode()

    table = page[page.index('data-testid="by-manager"') :]
    table = table[: table.index("</table>")]
    assert [name for name in re.findall(r">([^<>]+)</", table) if name in SHOWN] == SHOWN
    choices = page[page.index('name="manager"') :]
    choices = choices[: choices.index("</select>")]
    assert re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", choices) == SHOWN


def test_the_order_is_read_from_an_index_of_the_names_shown(team):
    """The by-manager table walks the team a page at a time in this order (scoring/dashboard/
    summary.py): an index gives it without sorting the whole team."""
    first_page = by_name(team[0].__class__.objects.all())[:25]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a tiny table: ask what the planner *can* use
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
    assert "accounts_user_shown_name" in first_page.explain()
