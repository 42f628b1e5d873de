"""What the API reads: the account list with the dashboard's filters and pages, one account
with its standing and why, its history, interactions, contacts, the catalog and the export."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relationships.models import SignalType
from scoring.models import ScoreSnapshot
from tests.api.conftest import scored
from tests.factories import AccountFactory, ContactFactory


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def test_each_account_row_carries_its_standing_as_the_dashboard_reads_it(book, as_alice):
    latest = ScoreSnapshot.objects.get(account=book["north"], is_latest=True)
    latest.risk_drivers = [["silence", 12.0, "no contact for 40 days"]]
    latest.save()
    row = as_alice.get("/accounts").json()["items"][1]

    assert row["name"] == "Northwind Freight"
    assert row["owner"] == {"id": book["north"].owner_id, "username": "alice", "name": "Alice"}
    assert (row["score"], row["stage"], row["decline_risk"]) == (
        latest.score,
        latest.stage,
        latest.decline_risk,
    )
    assert row["stage_label"] == "Vendor"
    assert row["risk_band"] == "low"
    assert row["top_risk_driver"] == "silence"
    assert row["url"] == f"http://testserver/accounts/{book['north'].pk}/"


def test_the_list_takes_the_dashboards_filters(book, as_lena, bob):
    assert _names(as_lena.get("/accounts", {"manager": bob.pk})) == [
        "Bluepeak Foods",
        "Cedar Analytics",
    ]
    assert _names(as_lena.get("/accounts", {"industry": "Food"})) == ["Bluepeak Foods"]
    assert _names(as_lena.get("/accounts", {"stage": "consultant"})) == []
    assert len(_names(as_lena.get("/accounts", {"stage": "vendor", "risk_band": "low"}))) == 3
    book["blue"].annual_revenue = Decimal("900000")
    book["blue"].save()
    assert _names(as_lena.get("/accounts", {"revenue_min": "500000"})) == ["Bluepeak Foods"]


def test_a_filter_the_dashboard_would_refuse_is_a_422_naming_it(book, as_lena):
    response = as_lena.get("/accounts", {"revenue_min": "10", "revenue_max": "5"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["query", "revenue_max"],
            "msg": "The upper bound is below the lower one.",
            "type": "invalid",
        }
    ]
    response = as_lena.get("/accounts", {"stage": "partner"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "stage"]


def test_the_list_pages_through_the_accounts_by_name_with_their_total(book, as_lena):
    first = as_lena.get("/accounts", {"limit": 2}).json()
    rest = as_lena.get("/accounts", {"limit": 2, "offset": 2}).json()

    assert (first["count"], first["limit"], first["offset"]) == (3, 2, 0)
    assert [item["name"] for item in first["items"] + rest["items"]] == [
        "Bluepeak Foods",
        "Cedar Analytics",
        "Northwind Freight",
    ]
    assert as_lena.get("/accounts", {"limit": 501}).status_code == 422


def test_lost_accounts_are_out_of_the_list_as_out_of_the_dashboard(book, as_alice):
    north = book["north"]
    north.status, north.lost_on = "lost", north.interactions.first().occurred_on
    north.save()
    assert _names(as_alice.get("/accounts")) == ["Cedar Analytics"]
    assert as_alice.get(f"/accounts/{north.pk}").json()["status"] == "lost"


def _list_queries(api) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/accounts").status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_whatever_the_portfolio(book, as_alice, alice):
    as_alice.get("/accounts")  # notes the token's first use
    few = _list_queries(as_alice)
    for number in range(12):
        account = scored(AccountFactory(name=f"More {number}", owner=alice), weeks_ago=(2,))
        ContactFactory(account=account)
        AccountFactory(name=f"New {number}", owner=alice)  # not scored yet
    # 10 whatever the portfolio, one of them the filter form's count of the managers (past
    # 30 it offers a search instead of every name).
    assert _list_queries(as_alice) == few == 10


def test_an_account_not_scored_yet_is_listed_with_its_standing_null(book, alice, bob, as_alice):
    fresh = AccountFactory(name="Fresh Start", owner=alice, industry="Logistics")
    AccountFactory(name="Bob's new one", owner=bob)
    AccountFactory(
        name="Gone before scored", owner=alice, status="lost", lost_on=timezone.localdate()
    )

    body = as_alice.get("/accounts").json()

    assert body["count"] == 3
    assert [item["name"] for item in body["items"]] == [
        "Cedar Analytics",
        "Fresh Start",
        "Northwind Freight",
    ]
    row = body["items"][1]
    assert (row["id"], row["owner"]["username"], row["industry"]) == (
        fresh.pk,
        "alice",
        "Logistics",
    )
    standing = ["score", "stage", "stage_label", "decline_risk", "risk_band", "next_stage_gap"]
    assert [row[field] for field in [*standing, "top_risk_driver", "week_ending"]] == [None] * 8
    assert row["url"] == f"http://testserver/accounts/{fresh.pk}/"
    # A filter on the facts keeps it; one on the standing leaves it out.
    assert _names(as_alice.get("/accounts", {"industry": "Logistics"})) == [
        "Fresh Start",
        "Northwind Freight",
    ]
    assert _names(as_alice.get("/accounts", {"stage": "vendor"})) == [
        "Cedar Analytics",
        "Northwind Freight",
    ]
    assert as_alice.get("/accounts", {"risk_band": "low"}).json()["count"] == 2


def test_both_exports_list_an_account_not_scored_yet_with_its_standing_empty(
    book, alice, client, lena, as_lena
):
    AccountFactory(name="Fresh Start", owner=alice, external_id="ERP-77")
    client.force_login(lena)

    lines = client.get(reverse("dashboard-export")).content.decode().splitlines()
    rows = as_lena.get("/portfolio/export").json()

    fresh = next(line for line in lines if ",Fresh Start," in line).split(",")
    assert fresh[:8] == ["ERP-77", "Fresh Start", "alice", "", "", "", "", "250000"]
    assert [row["name"] for row in rows] == [line.split(",")[1] for line in lines[1:]]
    listed = next(row for row in rows if row["name"] == "Fresh Start")
    assert [listed[key] for key in ("stage", "score", "decline_risk", "top_risk_driver")] == [
        None
    ] * 4
    # A stage asked for leaves it out of both.
    assert (
        "Fresh Start"
        not in client.get(reverse("dashboard-export"), {"stage": "vendor"}).content.decode()
    )
    assert "Fresh Start" not in [
        row["name"] for row in as_lena.get("/portfolio/export", {"stage": "vendor"}).json()
    ]


def test_one_account_carries_its_standing_contributions_and_risk_drivers(book, as_alice):
    north = book["north"]
    latest = ScoreSnapshot.objects.get(account=north, is_latest=True)
    latest.risk_drivers = [
        ["silence", 30.4, "no contact for 60 days"],
        ["single_threaded", 5.2, ""],
    ]
    latest.decline_risk = 35.6
    latest.save()

    standing = as_alice.get(f"/accounts/{north.pk}").json()["standing"]

    assert standing["score"] == latest.score
    assert standing["next_stage_gap"].startswith("confidant needs an invited to planning")
    assert sum(part["points"] for part in standing["contributions"]) == round(latest.score)
    assert standing["contributions"][0]["signals"] == ["delivered as promised"]
    assert [(d["key"], d["points"]) for d in standing["risk_drivers"]] == [
        ("silence", 31),
        ("single_threaded", 5),
    ]
    assert standing["risk_drivers"][0]["detail"] == "no contact for 60 days"
    assert standing["risk_band"] == "medium"


def test_an_account_not_scored_yet_has_no_standing(alice, as_alice):
    account = AccountFactory(name="Fresh", owner=alice)
    body = as_alice.get(f"/accounts/{account.pk}").json()
    assert body["standing"] is None
    assert as_alice.get(f"/accounts/{account.pk}/history").json() == []


def test_the_history_is_the_accounts_weeks_oldest_first(book, as_alice):
    weeks = as_alice.get(f"/accounts/{book['north'].pk}/history").json()
    stored = ScoreSnapshot.objects.filter(account=book["north"]).order_by("week_ending")

    assert [week["week_ending"] for week in weeks] == [s.week_ending.isoformat() for s in stored]
    assert weeks[-1]["score"] == stored.last().score


def test_interactions_come_newest_first_with_participants_and_signal_slugs(book, as_alice):
    north = book["north"]
    maria = north.contacts.get()
    oldest = north.interactions.order_by("occurred_on").first()
    oldest.participants.add(maria)

    body = as_alice.get(f"/accounts/{north.pk}/interactions").json()

    assert body["count"] == 2
    assert [item["occurred_on"] for item in body["items"]] == sorted(
        (item["occurred_on"] for item in body["items"]), reverse=True
    )
    assert body["items"][1]["participants"] == [{"id": maria.pk, "name": "Maria Lopez"}]
    assert body["items"][1]["signals"] == ["delivered_as_promised"]
    assert body["items"][1]["logged_by"] == "alice"


def test_the_interactions_cost_the_same_queries_however_many(book, as_alice):
    north = book["north"]
    as_alice.get("/signals")
    with CaptureQueriesContext(connection) as few:
        as_alice.get(f"/accounts/{north.pk}/interactions")
    scored(north, weeks_ago=(5, 6, 7, 8))
    for interaction in north.interactions.all():
        interaction.participants.add(ContactFactory(account=north))
    with CaptureQueriesContext(connection) as many:
        body = as_alice.get(f"/accounts/{north.pk}/interactions").json()
    assert body["count"] == 6
    assert len(many) == len(few)


def test_contacts_are_listed_with_their_role_and_manager(book, as_alice):
    north = book["north"]
    boss = ContactFactory(account=north, name="Ana Boss", role="economic_buyer")
    north.contacts.filter(name="Maria Lopez").update(reports_to=boss, is_champion=True)

    contacts = as_alice.get(f"/accounts/{north.pk}/contacts").json()

    assert [(c["name"], c["role"], c["reports_to"]) for c in contacts] == [
        ("Ana Boss", "economic_buyer", None),
        ("Maria Lopez", "decision_maker", boss.pk),
    ]
    assert contacts[1]["is_champion"] is True
    assert contacts[1]["email"] == "maria@northwind.example"


def test_the_signal_catalog_lists_every_type_retired_ones_marked(migrated_rows, as_alice):
    SignalType.objects.filter(slug="competitor_invited").update(is_active=False)
    catalog = {item["slug"]: item for item in as_alice.get("/signals").json()}

    assert len(catalog) == SignalType.objects.count()
    assert catalog["invited_to_planning"]["polarity"] == 1
    assert catalog["competitor_invited"]["is_active"] is False


def test_the_export_gives_the_dashboards_csv_rows_as_json(book, client, lena, as_lena):
    client.force_login(lena)
    csv_lines = client.get(reverse("dashboard-export")).content.decode().splitlines()
    header = csv_lines[0].split(",")

    rows = as_lena.get("/portfolio/export").json()

    assert list(rows[0]) == header
    assert [row["name"] for row in rows] == [line.split(",")[1] for line in csv_lines[1:]]
    first = dict(zip(header, csv_lines[1].split(","), strict=True))
    assert rows[0]["score"] == int(first["score"])
    assert rows[0]["last_contact_on"] == first["last_contact_on"]
    assert rows[0]["external_id"] == first["external_id"]
    assert as_lena.get("/portfolio/export", {"industry": "Food"}).json()[0]["name"] == (
        "Bluepeak Foods"
    )
