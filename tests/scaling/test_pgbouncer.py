"""The app behind PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer): the bulk load,
a full recompute, the webhook outbox's claim and the whole-portfolio reads all work when
every client transaction may run on any server connection.

The pool for the test database has one server connection, so each transaction runs on the
connection the previous client's transaction just used: anything left on it in a session
(a SET, a lock, a cursor, a prepared statement) would show.
"""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import reverse

from accounts.models import Account
from config.bulk import insert_rows
from relationships.models import Interaction
from scoring import preview
from scoring.models import ScoreSnapshot
from scoring.selectors import evidence_for_accounts, profile_active
from tests.factories import AccountFactory, InteractionFactory
from tests.scaling.pgbouncer import TWO_SERVERS, Bouncer
from webhooks import events, services
from webhooks.delivery import deliveries_claim
from webhooks.models import Delivery
from webhooks.outbox import event_emit

pytestmark = pytest.mark.django_db(transaction=True)

AS_OF = datetime.date(2026, 11, 29)


def _backend_pid(client) -> int:
    return client.execute("SELECT pg_backend_pid()").fetchone()[0]


def test_the_demo_load_and_a_full_recompute_run_through_one_pooled_server_connection(
    pgbouncer: Bouncer, migrated_rows
):
    with pgbouncer.as_database():
        # COPY in bulk (config/bulk.py), then recompute_scores over every account.
        call_command("seed_demo", accounts=8, years=1, seed=3, as_of=AS_OF, verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            app_server = cursor.fetchone()[0]
        accounts = Account.objects.count()
        weeks = ScoreSnapshot.objects.values("week_ending").distinct().count()
        scored = ScoreSnapshot.objects.values("account").distinct().count()
        # Another client of PgBouncer is served by the very server connection the app used.
        with pgbouncer.connect() as other:
            assert _backend_pid(other) == app_server
    assert (accounts, scored) == (8, 8)
    assert weeks >= 52
    assert Interaction.objects.exists()


def test_a_bulk_insert_outside_a_transaction_goes_through(pgbouncer: Bouncer, alices_account):
    profile = profile_active()
    weeks = [AS_OF - datetime.timedelta(weeks=n) for n in range(3)]
    fields = ["account", "profile", "week_ending", "score", "stage", "decline_risk"]
    fields += ["contributions", "risk_drivers", "next_stage_gap", "is_latest"]
    with pgbouncer.as_database():
        insert_rows(
            ScoreSnapshot,
            fields,
            [
                (alices_account.pk, profile.pk, week, 40.0, "confidant", 10.0, [], [], "", False)
                for week in weeks
            ],
        )
    assert sorted(
        ScoreSnapshot.objects.filter(account=alices_account).values_list("week_ending", flat=True)
    ) == sorted(weeks)


def test_two_workers_claim_different_webhook_deliveries(pgbouncer: Bouncer, sam, httpserver):
    services.endpoint_create(url=httpserver.url_for("/hooks"), events=["account.lost"], actor=sam)
    for number in range(4):
        payload = {"account": {"id": number, "external_id": "", "name": f"Client {number}"}}
        event_emit(kind=events.ACCOUNT_LOST, payload={**payload, "reason": "price"})
    now = datetime.datetime.now(datetime.UTC)
    # The first worker's claim is still open (its rows locked) while the second claims.
    with (
        pgbouncer.as_database(dbname=TWO_SERVERS),
        pgbouncer.connect(TWO_SERVERS) as first,
        first.transaction(),
    ):
        held = first.execute(
            "SELECT id FROM webhooks_delivery ORDER BY id LIMIT 2 FOR UPDATE SKIP LOCKED"
        ).fetchall()
        claimed = deliveries_claim(now=now, limit=10)
    assert len(held) == 2
    assert sorted(d.pk for d in claimed) == sorted(
        set(Delivery.objects.values_list("pk", flat=True)) - {pk for (pk,) in held}
    )


def test_the_dashboard_and_the_whole_portfolio_read_work_through_the_pool(
    pgbouncer: Bouncer, lena, alice
):
    AccountFactory.create_batch(3, owner=alice)
    client = Client()
    client.force_login(lena)
    with pgbouncer.as_database():
        page = client.get(reverse("dashboard"))
        # Outside a transaction: the streaming read (QuerySet.iterator()) of every account.
        evidence = evidence_for_accounts()
    assert page.status_code == 200
    assert len(evidence) == 3


def _other_client_takes_the_last_server(bouncer: Bouncer):
    """A client that opens a transaction now is given the server connection released last
    (PgBouncer reuses the most recently used one) and keeps it until the block ends."""
    other = bouncer.connect(TWO_SERVERS)
    transaction = other.transaction()
    transaction.__enter__()
    other.execute("SELECT 1")
    return other, transaction


def test_an_iterator_survives_another_client_taking_its_server_connection(
    pgbouncer: Bouncer, alice
):
    AccountFactory.create_batch(5, owner=alice)
    with pgbouncer.as_database(dbname=TWO_SERVERS):
        names = Account.objects.order_by("pk").values_list("name", flat=True).iterator(2)
        first = next(names)
        other, transaction = _other_client_takes_the_last_server(pgbouncer)
        try:
            rest = list(names)
        finally:
            transaction.__exit__(None, None, None)
            other.close()
    assert len([first, *rest]) == 5


def test_without_the_pooler_settings_an_iterator_loses_its_cursor(pgbouncer: Bouncer, alice):
    # What DATABASE_POOLER=pgbouncer prevents: outside a transaction, .iterator() declares a
    # server-side cursor WITH HOLD on one server connection, and its next fetch runs on another.
    AccountFactory.create_batch(5, owner=alice)
    with pgbouncer.as_database(dbname=TWO_SERVERS, pooler_settings=False):
        names = Account.objects.order_by("pk").values_list("name", flat=True).iterator(2)
        next(names)
        other, transaction = _other_client_takes_the_last_server(pgbouncer)
        try:
            # Django's error, or psycopg's own from closing the cursor as the error unwinds.
            with pytest.raises((DatabaseError, psycopg.Error), match=r"cursor .* does not exist"):
                list(names)
        finally:
            transaction.__exit__(None, None, None)
            other.close()


def test_the_previews_streamed_read_survives_another_client_taking_its_server_connection(
    pgbouncer: Bouncer, alice, monkeypatch
):
    # The what-if preview fetches its evidence a few rows at a time from a server-side
    # cursor declared in the read's own transaction: the pool keeps that transaction's server
    # connection for it, whoever else asks for one meanwhile.
    account = AccountFactory.create(owner=alice)
    days = [AS_OF - datetime.timedelta(days=n) for n in range(7)]
    for day in days:
        InteractionFactory(account=account, occurred_on=day)
    monkeypatch.setattr(preview, "ROWS_PER_FETCH", 2)
    others: list = []

    def day_numbers(values):
        if not others:  # after the first fetch, before the next
            others.append(_other_client_takes_the_last_server(pgbouncer))
        return preview._ints(values)

    read = Interaction.objects.order_by("occurred_on").values_list(
        "account_id", preview.DayNumber("occurred_on")
    )
    try:
        with pgbouncer.as_database(dbname=TWO_SERVERS):
            accounts, read_days = preview._read_streamed(read, (preview._ints, day_numbers))
    finally:
        for other, transaction in others:
            transaction.__exit__(None, None, None)
            other.close()
    assert others  # the other client did take a server connection mid-read
    assert list(read_days) == sorted(day.toordinal() for day in days)
    assert set(accounts) == {account.pk}
