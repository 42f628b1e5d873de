"""The portfolio dashboard and its exports, on a small portfolio built by hand."""

import csv
import datetime
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from config.caches import KEPT
from relationships.models import SignalType, TrustSignal
from scoring.dashboard import summary
from scoring.models import ScoreSnapshot
from scoring.selectors import profile_active
from scoring.services import account_rescore
from scoring.standing_lines import lines_rebuild, lines_refresh
from tests.factories import AccountFactory, InteractionFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
WEEK = datetime.date(2026, 11, 15)  # a Sunday
# A Wednesday: its week closes on Sunday 29 November, four days after it.
MIDWEEK = datetime.date(2026, 11, 25)


def _standing(account, *, stage, score, risk, weeks_ago=0, drivers=(), latest=None):
    """A stored week of `account`, and its dashboard line refreshed, as a rescore would."""
    snapshot = ScoreSnapshot.objects.create(
        account=account,
        profile=profile_active(),
        week_ending=WEEK - datetime.timedelta(weeks=weeks_ago),
        score=score,
        stage=stage,
        decline_risk=risk,
        risk_drivers=[list(driver) for driver in drivers],
        next_stage_gap="consultant needs a strategy_advice_requested in the last 12 months",
        is_latest=weeks_ago == 0 if latest is None else latest,
    )
    lines_refresh(account_ids=[account.pk])
    return snapshot


@pytest.fixture
def book(alice, bob):
    """Four accounts: two of Alice's, two of Bob's, with their standing now and 4 weeks ago."""
    north = AccountFactory(name="North", owner=alice, annual_revenue=100_000, industry="Retail")
    east = AccountFactory(
        name="East", owner=alice, annual_revenue=300_000, partnership_potential="could_partner"
    )
    south = AccountFactory(name="South", owner=bob, annual_revenue=200_000, industry="Retail")
    west = AccountFactory(
        name="West", owner=bob, annual_revenue=400_000, partnership_potential="regular"
    )
    _standing(north, stage="vendor", score=20, risk=70, drivers=[("momentum", 70, "score down")])
    _standing(north, stage="confidant", score=35, risk=10, weeks_ago=4)
    _standing(east, stage="confidant", score=45, risk=20)
    _standing(east, stage="confidant", score=40, risk=20, weeks_ago=4)
    _standing(south, stage="consultant", score=60, risk=40)
    _standing(
        west,
        stage="virtual_partner",
        score=90,
        risk=35,
        drivers=[
            ("silence", 25, "no contact for 60 days; usually every 10"),
            ("perception_gap", 10, "client sees consultant, evidence says virtual partner"),
        ],
    )
    InteractionFactory(account=west, occurred_on=datetime.date(2026, 9, 16))
    return {"north": north, "east": east, "south": south, "west": west}


def _export(client, **filters):
    response = client.get(reverse("dashboard-export"), filters)
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_only_sales_leads_open_the_dashboard(client, alice, lena):
    assert client.get(reverse("dashboard")).status_code == 302  # to sign in
    client.force_login(alice)
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("dashboard-export")).status_code == 403
    client.force_login(lena)
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_tiles_and_panels_show_the_known_answers(client, lena, book):
    client.force_login(lena)
    html = client.get(reverse("dashboard")).content.decode()

    tile = html.index('data-testid="tile-partnerships"')
    assert "<strong>2</strong>" in html[tile : tile + 200]  # South and West
    # 100k x .70 + 300k x .20 + 200k x .40 + 400k x .35 = 350,000
    assert "350,000" in html
    assert "40%" in html  # West carries 400k of 1,000k
    assert "Herfindahl 3000" in html
    climbing = html.index("Climbing")
    assert html.index("East", climbing) < html.index("Slipping")  # +5 over 30 days
    assert "-15" in html  # North slid from 35 to 20
    partners = html[html.index('data-testid="partners"') :]
    assert "East" in partners[: partners.index("</ol>")]
    neglected = html[html.index('data-testid="neglected"') :]
    assert "No contact for 60 days; usually every 10" in neglected[: neglected.index("</ol>")]
    gaps = html[html.index('data-testid="gaps"') :]
    assert "Client sees consultant, evidence says virtual partner" in gaps[: gaps.index("</ol>")]


def test_filters_combine_and_the_export_follows_the_view(client, lena, alice, book):
    client.force_login(lena)

    assert {r["name"] for r in _export(client, industry="Retail")} == {"North", "South"}
    assert {r["name"] for r in _export(client, industry="Retail", manager=alice.pk)} == {"North"}
    assert {r["name"] for r in _export(client, risk_band="high")} == {"North"}
    assert {r["name"] for r in _export(client, risk_band="medium", revenue_min=300000)} == {"West"}
    assert {r["name"] for r in _export(client, stage="confidant", potential="could_partner")} == {
        "East"
    }
    west = _export(client, manager=book["west"].owner_id, stage="virtual_partner")[0]
    assert west == {
        "external_id": f"account-{book['west'].pk}",
        "name": "West",
        "owner": "bob",
        "stage": "virtual_partner",
        "score": "90",
        "decline_risk": "35",
        "top_risk_driver": "silence",
        "annual_revenue": "400000",
        "last_contact_on": "2026-09-16",
        "next_step": "",
        "next_step_due": "",
    }


def test_the_dashboard_says_when_accounts_stand_in_an_earlier_week(client, lena, book):
    """WEEK is behind today's week: the nightly catch-up has not run for these accounts."""
    client.force_login(lena)
    html = client.get(reverse("dashboard")).content.decode()
    assert "4 accounts in this view still stand in an earlier week" in html
    one = client.get(
        reverse("dashboard"), {"industry": "Retail", "manager": book["north"].owner_id}
    )
    assert "1 account in this view still stands in an earlier week" in one.content.decode()

    current = timezone.localdate() + datetime.timedelta(days=6 - timezone.localdate().weekday())
    ScoreSnapshot.objects.filter(is_latest=True).update(week_ending=current)
    lines_rebuild(profile=profile_active())  # as the catch-up's rescores would
    caches[KEPT].clear()  # a few seconds later: the pages kept from before the catch-up are gone
    assert 'data-testid="behind"' not in client.get(reverse("dashboard")).content.decode()


def test_a_filter_fragment_and_a_bad_filter(client, lena, book):
    client.force_login(lena)
    fragment = client.get(reverse("dashboard"), {"stage": "vendor"}, **HTMX).content.decode()
    assert "<html" not in fragment and 'id="dashboard-body"' in fragment

    bad = client.get(reverse("dashboard"), {"revenue_min": "lots", "revenue_max": "-3"})
    html = bad.content.decode()
    assert bad.status_code == 200
    assert "Enter a number." in html and "Ensure this value is greater than or equal to 0" in html


@pytest.mark.parametrize("size", [4, 40])
def test_the_dashboard_costs_the_same_queries_whatever_the_portfolio(
    client, lena, alice, size, monkeypatch, django_assert_num_queries
):
    # A view larger than the map draws point by point, at both sizes: the riskiest as points
    # over the squares that count them all.
    monkeypatch.setattr(summary, "MAP_ALL_POINTS", 2)
    monkeypatch.setattr(summary, "MAP_TOP_POINTS", 1)
    for n in range(size):
        account = AccountFactory(owner=alice, industry=f"Industry {n % 3}")
        _standing(account, stage="confidant", score=40 + n % 20, risk=n % 90)
        _standing(account, stage="vendor", score=30, risk=10, weeks_ago=4)
        _standing(account, stage="vendor", score=20, risk=10, weeks_ago=13)
    client.force_login(lena)
    # savepoint, session, user, roles, whether the team is past 30 and its names, industries for
    # the filters, profile; the counts per stage, the largest account, four lists, the
    # managers (a page of names, their sums and activity), climbers, sliders, transitions,
    # the map's points and squares; release
    with django_assert_num_queries(23):
        response = client.get(reverse("dashboard"), {"trails": "on", "period": "90"})
    assert response.status_code == 200
    assert len(_map_points(response.content.decode())) == 1


def test_a_large_view_maps_the_riskiest_as_points_and_counts_every_account_in_squares(
    client, lena, book, monkeypatch
):
    monkeypatch.setattr(summary, "MAP_ALL_POINTS", 3)
    monkeypatch.setattr(summary, "MAP_TOP_POINTS", 2)
    client.force_login(lena)
    html = client.get(reverse("dashboard")).content.decode()

    figure = _map_figure(html)
    squares, accounts = figure["data"][0], figure["data"][-1]
    # North (risk 70) and South (40) are drawn; every account is counted in its square.
    assert [point[0] for point in accounts["customdata"]] == [
        book["north"].pk,
        book["south"].pk,
    ]
    assert sum(square[1] for square in squares["customdata"]) == 4
    # West: score 90, risk 35, alone in the square from 90 to 95 and from 35 to 40.
    assert [None, 1, 90, 95, 35, 40] in squares["customdata"]
    caption = html[html.index('data-testid="map-summary"') :]
    assert "4 accounts: 1 low risk (circles), 2 medium risk (diamonds), 1 high risk" in caption
    assert "The 2 riskiest are drawn one by one" in caption

    small = _map_figure(
        client.get(reverse("dashboard"), {"manager": book["north"].owner_id}).content.decode()
    )
    assert len(small["data"]) == 1  # two accounts in view: each is drawn, no squares
    assert len(small["data"][0]["customdata"]) == 2


def test_the_lists_by_risk_driver_follow_the_filters(client, lena, alice, bob, book):
    """West (Bob's) is silent and misread by its client; in Alice's view neither list names
    it, and a lookalike of hers whose drivers name neither is left out too."""
    quiet = AccountFactory(name="Quiet", owner=alice, partnership_potential="regular")
    _standing(
        quiet,
        stage="vendor",
        score=10,
        risk=80,
        drivers=[("momentum", 80, "score down after the silence")],
    )
    client.force_login(lena)

    def lists(**filters) -> tuple[str, str]:
        html = client.get(reverse("dashboard"), filters).content.decode()
        neglected = html[html.index('data-testid="neglected"') :]
        gaps = html[html.index('data-testid="gaps"') :]
        return neglected[: neglected.index("</ol>")], gaps[: gaps.index("</ol>")]

    neglected, gaps = lists()
    assert "West" in neglected and "West" in gaps and "Quiet" not in neglected
    neglected, gaps = lists(manager=alice.pk)
    assert "West" not in neglected and "West" not in gaps
    assert "Every regular customer is in touch" in neglected
    assert "Clients see us as the evidence does." in gaps
    neglected, gaps = lists(manager=bob.pk, risk_band="medium")
    assert "West" in neglected and "West" in gaps
    neglected, gaps = lists(potential="strategic")  # no regular customer in view
    assert "Every regular customer is in touch" in neglected and "West" not in gaps


def test_the_lists_show_the_first_few_and_point_to_the_rest(client, lena, alice):
    for n in range(12):
        account = AccountFactory(name=f"Account {n:02}", owner=alice, annual_revenue=1000)
        _standing(account, stage="vendor", score=10, risk=50 + n)
    client.force_login(lena)
    html = client.get(reverse("dashboard")).content.decode()

    at_risk = html[html.index('data-testid="at-risk"') :]
    at_risk = at_risk[: at_risk.index("</section>")]
    assert at_risk.count("<li>") == 10
    assert at_risk.index("Account 11") < at_risk.index("Account 02")
    assert "Account 01" not in at_risk
    assert "The 10 riskiest of 12" in at_risk and "export every account in this view" in at_risk


def test_stage_transitions_and_managers_are_counted_over_the_view(client, lena, alice, book):
    book["north"].next_step, book["north"].next_step_due = "Call the COO", datetime.date(2026, 1, 5)
    book["north"].save()
    InteractionFactory(account=book["north"], occurred_on=timezone.localdate())
    client.force_login(lena)
    html = client.get(reverse("dashboard")).content.decode()

    # Over 30 days: North went from confidant to vendor, East stayed a confidant.
    assert "Stage transitions over 30 days (1 moved)" in html
    table = html[html.index('data-testid="by-manager"') :]
    alices = table[table.index("Alice") :]
    alices = alices[: alices.index("</tr>")]
    cells = [cell.split(">")[-1] for cell in alices.split("</td>")[:-1]]
    # vendor, confidant, consultant, partner; revenue; average risk (70 + 20) / 2; high risk;
    # interactions of 30 days; no next step (East); overdue (North's, due in January)
    assert cells == ["1", "1", "0", "0", "400,000", "45", "1", "1", "1", "1"]
    only_retail = client.get(reverse("dashboard"), {"industry": "Retail", "stage": "vendor"})
    table = only_retail.content.decode()
    table = table[table.index('data-testid="by-manager"') :]
    assert "Alice" in table and "Bob" not in table


def test_the_command_exports_the_portfolio_as_of_a_date(lena, book, tmp_path):
    target = tmp_path / "portfolio.csv"
    call_command("export_portfolio", "--as-of", "2026-10-20", "--output", str(target))

    lines = list(csv.reader(target.open(encoding="utf-8")))
    assert lines[0] == [
        "external_id",
        "name",
        "owner",
        "stage",
        "score",
        "decline_risk",
        "top_risk_driver",
        "annual_revenue",
        "last_contact_on",
        "next_step",
        "next_step_due",
    ]
    by_name = {line[1]: line for line in lines[1:]}
    # On 20 Oct the latest week is 4 weeks before WEEK: North was a confidant then, and only
    # North and East had a standing that early.
    assert sorted(by_name) == ["East", "North"]
    assert by_name["North"][3:6] == ["confidant", "35", "10"]

    today = tmp_path / "today.csv"
    call_command("export_portfolio", "--output", str(today))
    west = next(line for line in csv.reader(today.open(encoding="utf-8")) if line[1] == "West")
    assert west[3:] == ["virtual_partner", "90", "35", "silence", "400000", "2026-09-16", "", ""]


def _command_export(directory, *args) -> dict[str, dict[str, str]]:
    target = directory / "portfolio.csv"
    call_command("export_portfolio", *args, "--output", str(target), stderr=io.StringIO())
    with target.open(encoding="utf-8") as lines:
        return {line["name"]: line for line in csv.DictReader(lines)}


def test_the_command_exports_the_standing_the_dashboard_and_the_account_page_show(
    client, alice, lena, monkeypatch, tmp_path
):
    """A delivery miss logged yesterday, in the week still running, is in the file as it is
    on every page, and a past --as-of still gives the standing of that time."""
    # Today is a Wednesday: on a Sunday the running week closes today and every reader agrees.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: MIDWEEK)
    account = AccountFactory(name="Northwind", owner=alice)
    delivered = SignalType.objects.get(slug="delivered_as_promised")
    for weeks in range(12, 0, -1):
        day = MIDWEEK - datetime.timedelta(weeks=weeks)
        meeting = InteractionFactory(account=account, occurred_on=day)
        TrustSignal.objects.create(
            account=account, signal_type=delivered, observed_on=day, interaction=meeting
        )
    account_rescore(account_id=account.pk)
    before_the_miss = _command_export(tmp_path)["Northwind"]

    yesterday = MIDWEEK - datetime.timedelta(days=1)
    client.force_login(alice)
    client.post(
        reverse("interaction-new", args=[account.pk]),
        {
            "occurred_on": yesterday.isoformat(),
            "kind": "meeting",
            "signals": [SignalType.objects.get(slug="delivery_miss").pk],
        },
    )
    client.force_login(lena)
    exported = _command_export(tmp_path)["Northwind"]

    assert int(exported["decline_risk"]) > int(before_the_miss["decline_risk"])
    assert exported["last_contact_on"] == yesterday.isoformat()
    dashboard_row = next(row for row in _export(client) if row["name"] == "Northwind")
    assert exported == dashboard_row
    page = client.get(reverse("account-detail", args=[account.pk])).content.decode()
    assert f'data-testid="score">{exported["score"]}<' in page
    assert f'data-testid="risk">{exported["decline_risk"]}<' in page

    # A past date: the week that closed on or before it, which knew nothing of the miss.
    last_sunday = ScoreSnapshot.objects.get(
        account=account, week_ending=MIDWEEK - datetime.timedelta(days=3)
    )
    for as_of in ("2026-11-22", yesterday.isoformat()):
        past = _command_export(tmp_path, "--as-of", as_of)["Northwind"]
        assert (past["score"], past["decline_risk"]) == (
            f"{last_sunday.score:.0f}",
            f"{last_sunday.decline_risk:.0f}",
        )
        assert past["last_contact_on"] <= as_of


# An imported name that plotly would draw as a live link, and a manager's name in bold.
LINK = '<a href="https://evil.example/">Pay here</a> & Co'


def _map_figure(html: str) -> dict:
    start = html.index('<script id="map-chart-data" type="application/json">')
    return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])


def _map_points(html: str) -> list[list]:
    return _map_figure(html)["data"][-1]["customdata"]


def test_the_map_shows_names_as_typed_not_as_markup(client, lena, book, alice):
    book["north"].name = LINK
    book["north"].save()
    alice.first_name, alice.last_name = "<b>Alice</b>", "<i>Smith</i>"
    alice.save()
    client.force_login(lena)

    points = _map_points(client.get(reverse("dashboard")).content.decode())

    north = next(point for point in points if point[0] == book["north"].pk)
    # Plotly turns &lt; &gt; &amp; back into the characters it shows, and follows <a> and <b>.
    assert north[1] == '&lt;a href="https://evil.example/"&gt;Pay here&lt;/a&gt; &amp; Co'
    assert north[2] == "&lt;b&gt;Alice&lt;/b&gt; &lt;i&gt;Smith&lt;/i&gt;"
    assert not any("<" in text for point in points for text in point[1:] if isinstance(text, str))


def test_the_by_manager_table_shows_a_name_as_typed_and_links_to_that_managers_accounts(
    client, lena, book, alice
):
    alice.first_name, alice.last_name = "<b>Alice</b>", "& Co"
    alice.save()
    client.force_login(lena)

    html = client.get(reverse("dashboard")).content.decode()

    link = f"{reverse('dashboard')}?manager={alice.pk}"
    assert f'<a href="{link}" hx-get="{link}"' in html
    assert "&lt;b&gt;Alice&lt;/b&gt; &amp; Co</a></th>" in html
    assert "<b>Alice</b>" not in html


def test_a_large_team_finds_its_manager_by_name_instead_of_a_list_of_everyone(
    client, lena, alice, book
):
    team = Group.objects.get(name=roles.ACCOUNT_MANAGER)
    for n in range(30):
        UserFactory(username=f"member{n:02}", first_name="Team", last_name=f"Member {n:02}")
    elodie = UserFactory(username="eorsted", first_name="Élodie", last_name="Ørsted")
    team.user_set.add(elodie, *get_user_model().objects.filter(username__startswith="member"))
    client.force_login(lena)

    def manager_options(**query) -> tuple[list[str], str]:
        response = client.get(reverse("dashboard"), query)
        assert response.status_code == 200
        html = response.content.decode()
        select = html[
            html.index('name="manager"') : html.index("</select>", html.index('name="manager"'))
        ]
        return re.findall(r">([^<]+)</option>", select), html

    options, html = manager_options()
    assert options == ["All managers"]  # not 33 names on every page view
    assert 'name="manager_find"' in html and "Type part of a name" in html

    options, _ = manager_options(manager_find="elodie orsted")
    assert options == ["All managers", "Élodie Ørsted (eorsted)"]

    # The by-manager table's link names a manager by id: offered, chosen, and the view
    # holds their accounts only.
    options, html = manager_options(manager=alice.pk)
    assert options == ["All managers", "Alice (alice)"]
    assert f'<option value="{alice.pk}" selected>' in html
    assert "Managers 1–1, by name</p>" in html

    options, html = manager_options(manager_find="member")
    assert len(options) == 1 + 20 and "The first 20 found are offered below" in html
    options, html = manager_options(manager_find="nobody like this")
    assert options == ["All managers"] and "Nobody on the team matches that." in html
