"""My accounts: what a manager reads in each row, search and sort in place, fixed cost."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.models import ScoreSnapshot
from scoring.selectors import profile_active
from tests.factories import AccountFactory, InteractionFactory

TODAY = timezone.localdate()
HTMX = {"HTTP_HX_REQUEST": "true"}


def _snapshot(account, *, weeks_ago: int, score: float, risk: float, stage: str, latest=False):
    sunday = TODAY - datetime.timedelta(days=(TODAY.weekday() + 1) % 7)
    return ScoreSnapshot.objects.create(
        account=account,
        profile=profile_active(),
        week_ending=sunday - datetime.timedelta(weeks=weeks_ago),
        score=score,
        stage=stage,
        decline_risk=risk,
        next_stage_gap="consultant needs a strategy_advice_requested in the last 12 months",
        is_latest=latest,
    )


@pytest.fixture
def scored_account(alices_account):
    _snapshot(alices_account, weeks_ago=4, score=40, risk=20, stage="confidant")
    _snapshot(alices_account, weeks_ago=0, score=47, risk=65, stage="confidant", latest=True)
    for days in (40, 30, 20):  # a contact every 10 days, the last one 20 days ago
        InteractionFactory(account=alices_account, occurred_on=TODAY - datetime.timedelta(days))
    return alices_account


def test_a_row_shows_stage_score_trend_risk_rhythm_and_gap(client, scored_account):
    client.force_login(scored_account.owner)
    html = client.get(reverse("home")).content.decode()

    assert 'class="stage-badge stage-confidant">Confidant<' in html
    assert '<span class="num">47</span>' in html
    assert 'title="+7 over 4 weeks">▲' in html
    assert 'class="risk-badge risk-high">high<' in html  # 65 is above the default high band
    assert "20 days ago" in html and "usually every 10 days" in html
    assert 'class="overdue"' in html  # twice the usual gap
    assert "Consultant needs a strategy advice requested in the last 12 months" in html


def test_the_usual_rhythm_is_measured_over_the_profiles_window_as_the_engine_does(
    client, alices_account
):
    # Contacts every 10 days a year ago, then one every 5 days lately.
    for days in (330, 320, 310, 30, 25, 20):
        InteractionFactory(account=alices_account, occurred_on=TODAY - datetime.timedelta(days))
    client.force_login(alices_account.owner)
    assert "usually every 62 days" in client.get(reverse("home")).content.decode()

    profile = profile_active()
    profile.params = {**profile.params, "rhythm_window_days": 60}
    profile.save(update_fields=["params"])

    assert "usually every 5 days" in client.get(reverse("home")).content.decode()


def test_an_account_without_snapshots_says_so(client, alices_account):
    client.force_login(alices_account.owner)
    html = client.get(reverse("home")).content.decode()
    assert "not scored yet" in html and "never" in html


def test_search_filters_in_place(client, alice):
    AccountFactory(owner=alice, name="Harbour Logistics", industry="Shipping")
    AccountFactory(owner=alice, name="Green Fields", industry="Farming")
    client.force_login(alice)

    full = client.get(reverse("home"), {"q": "farm"})
    fragment = client.get(reverse("home"), {"q": "harb"}, **HTMX)

    assert "Green Fields" in full.content.decode()
    assert "Harbour Logistics" not in full.content.decode()
    html = fragment.content.decode()
    assert "<html" not in html and 'id="account-table"' in html
    assert "Harbour Logistics" in html and "Green Fields" not in html
    assert "No account matches “zzz”" in client.get(reverse("home"), {"q": "zzz"}).content.decode()


def test_sorting_by_risk_puts_the_riskiest_first(client, alice):
    calm, tense = (
        AccountFactory(owner=alice, name="A Calm"),
        AccountFactory(owner=alice, name="B Tense"),
    )
    _snapshot(calm, weeks_ago=0, score=50, risk=10, stage="confidant", latest=True)
    _snapshot(tense, weeks_ago=0, score=50, risk=80, stage="confidant", latest=True)
    client.force_login(alice)

    riskiest = client.get(reverse("home"), {"sort": "-risk"}, **HTMX).content.decode()
    calmest = client.get(reverse("home"), {"sort": "risk"}, **HTMX).content.decode()
    by_name = client.get(reverse("home"), {"sort": "nonsense"}).content.decode()

    assert riskiest.index("B Tense") < riskiest.index("A Calm")
    assert calmest.index("A Calm") < calmest.index("B Tense")
    assert by_name.index("A Calm") < by_name.index("B Tense")
    assert 'aria-sort="descending"' in riskiest


def test_the_next_step_shows_and_sorts_the_soonest_due_first(client, alice):
    AccountFactory(owner=alice, name="A Unplanned")
    AccountFactory(
        owner=alice,
        name="B Later",
        next_step="Agree a quarterly review",
        next_step_due=TODAY + datetime.timedelta(days=20),
    )
    AccountFactory(
        owner=alice,
        name="C Overdue",
        next_step="Send the benchmark study",
        next_step_due=TODAY - datetime.timedelta(days=2),
    )
    client.force_login(alice)

    html = client.get(reverse("home"), {"sort": "next"}, **HTMX).content.decode()

    assert html.index("C Overdue") < html.index("B Later") < html.index("A Unplanned")
    overdue_row = html[html.index("C Overdue") : html.index("B Later")]
    assert "Send the benchmark study" in overdue_row and "overdue since" in overdue_row
    assert "No next step planned" in html[html.index("A Unplanned") :]
    assert 'aria-sort="ascending"' in html


@pytest.mark.parametrize("accounts", [3, 30])
def test_the_list_costs_the_same_queries_whatever_the_size(
    client, lena, django_assert_num_queries, accounts
):
    for n in range(accounts):
        account = AccountFactory()
        InteractionFactory(account=account)
        _snapshot(account, weeks_ago=4, score=30, risk=10, stage="confidant")
        _snapshot(account, weeks_ago=0, score=30 + n, risk=10, stage="confidant", latest=True)
    client.force_login(lena)
    # savepoint, session, user, roles, count, page rows, profile, latest and earlier
    # snapshots of the page; the Today panel's reminders (marks, accounts, silence, last
    # digest, latest and earlier snapshots) and the worker's health; the captured meetings
    # waiting to be confirmed; release savepoint; and the session saved with the header's new
    # count (savepoint, update, release)
    with django_assert_num_queries(21):
        response = client.get(reverse("home"))
    assert len(response.context["rows"]) == accounts
