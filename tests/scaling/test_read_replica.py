"""The read replica: the dashboard, the exports, the backtest and the API's reads come from a
real streaming replica; writes go to the primary, and whoever just wrote reads their change.

The replica's lag is made real by pausing its replay: what the primary commits then is truly
not on the replica until replay resumes.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from scoring.jobs.backtest_run import backtest_reports
from scoring.selectors import profile_active
from tests.api.conftest import api_for
from tests.factories import AccountFactory, InteractionFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def _exported_names(client: Client) -> set[str]:
    response = client.get(reverse("dashboard-export"))
    assert response.status_code == 200
    return {row["name"] for row in csv.DictReader(io.StringIO(response.content.decode()))}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_dashboard_and_the_export_read_from_the_replica(replica, lena, alice):
    AccountFactory(name="Northwind Freight", owner=alice)
    replica.catch_up()
    client = _signed_in(lena)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(reverse("dashboard")).status_code == 200
        assert "Northwind Freight" in _exported_names(client)
    assert any("accounts_account" in query["sql"] for query in on_replica.captured_queries)

    # What the primary has and the replica has not replayed yet is not in the export.
    replica.pause_replay()
    AccountFactory(name="Harbour Lines", owner=alice)
    assert _exported_names(client) == {"Northwind Freight"}
    replica.resume_replay()
    replica.catch_up()
    assert _exported_names(client) == {"Northwind Freight", "Harbour Lines"}


def _bundled_names(client: Client) -> set[str]:
    response = client.get(reverse("portfolio-export"))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        text = bundle.read("accounts.csv").decode()
    return {row["name"] for row in csv.DictReader(io.StringIO(text))}


def test_the_portfolio_bundle_export_reads_from_the_replica(replica, lena, alice):
    AccountFactory(name="Northwind Freight", owner=alice, external_id="CRM-1")
    replica.catch_up()
    client = _signed_in(lena)
    replica.pause_replay()
    AccountFactory(name="Harbour Lines", owner=alice, external_id="CRM-2")
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert _bundled_names(client) == {"Northwind Freight"}
    assert any("accounts_account" in query["sql"] for query in on_replica.captured_queries)


def test_a_bundle_export_that_gives_external_ids_reads_what_it_wrote(replica, lena, alice):
    # Giving the accounts their ids is a write: the export then reads from the primary.
    AccountFactory(name="Northwind Freight", owner=alice, external_id="")
    replica.catch_up()
    replica.pause_replay()
    AccountFactory(name="Harbour Lines", owner=alice, external_id="")
    assert _bundled_names(_signed_in(lena)) == {"Northwind Freight", "Harbour Lines"}
    assert not Account.objects.filter(external_id="").exists()


def test_a_write_goes_to_the_primary_and_its_author_reads_it_at_once(replica, lena, alice):
    client, other_lead = _signed_in(lena), _signed_in(lena)
    replica.pause_replay()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.post(
            reverse("account-new"),
            {
                "name": "Harbour Lines",
                "owner": alice.pk,
                "industry": "Shipping",
                "annual_revenue": "250000",
                "partnership_potential": "could_partner",
            },
        )
    assert response.status_code == 302
    assert on_replica.captured_queries == []
    assert Account.objects.filter(name="Harbour Lines").exists()  # on the primary
    assert replica.query("SELECT count(*) FROM accounts_account") == 0

    # The author's next page comes from the primary, within the read-your-writes window...
    assert "Harbour Lines" in _exported_names(client)
    # ...while another browser (the same lead on another device) still reads the replica.
    assert "Harbour Lines" not in _exported_names(other_lead)


def test_api_reads_come_from_the_replica_until_the_token_writes(replica, alice):
    account = AccountFactory(name="Northwind Freight", owner=alice)
    replica.catch_up()
    cache.clear()  # the rate limit and the read-your-writes marks live there
    as_alice, as_alice_elsewhere = api_for(alice), api_for(alice)
    replica.pause_replay()
    Account.objects.filter(pk=account.pk).update(name="Northwind Logistics")

    def name(api) -> str:
        response = api.get(f"/accounts/{account.pk}")
        assert response.status_code == 200
        return response.json()["name"]

    assert name(as_alice) == "Northwind Freight"  # the replica, paused before the change
    response = as_alice.post(
        f"/accounts/{account.pk}/interactions",
        {"kind": "planning_session", "notes": "Their 2027 roadmap"},
    )
    assert response.status_code == 201, response.content
    assert name(as_alice) == "Northwind Logistics"  # the token just wrote: the primary
    assert name(as_alice_elsewhere) == "Northwind Freight"  # another token: the replica


def test_the_backtest_reads_the_history_from_the_replica(replica, alice):
    a_month_ago = timezone.localdate() - datetime.timedelta(days=30)
    InteractionFactory(
        account=AccountFactory(name="Northwind Freight", owner=alice), occurred_on=a_month_ago
    )
    replica.catch_up()
    replica.pause_replay()
    InteractionFactory(
        account=AccountFactory(name="Harbour Lines", owner=alice), occurred_on=a_month_ago
    )
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        report = backtest_reports({"profile": profile_active()}, as_of=timezone.localdate())
    assert on_replica.captured_queries
    # Harbour Lines, opened after the replica paused, is not in the history it read.
    assert [row["name"] for row in report["profile"]["per_account"]] == ["Northwind Freight"]
