"""Every path that changes what other tools care about writes its event: the pages, the CSV
import, the API's and capture's use case, a rescore, a full recompute, a new scoring version."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relationships.models import AuditEntry, SignalType
from relationships.services import InteractionInput
from scoring import use_cases
from scoring.models import ScoreSnapshot
from scoring.selectors import profile_active
from scoring.services import (
    account_rescore,
    profile_activate,
    profile_create,
    scores_recompute,
)
from tests.factories import AccountFactory, ContactFactory, InteractionFactory
from webhooks import events
from webhooks.models import Event

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)


def _data(kind):
    return [event.payload["data"] for event in Event.objects.filter(kind=kind).order_by("pk")]


def test_logging_a_meeting_on_its_page_sends_interaction_created(
    client, register, alice, alices_account
):
    register("https://bi.example/hooks", events=[events.INTERACTION_CREATED])
    dana = ContactFactory(account=alices_account, name="Dana Reyes")
    signal = SignalType.objects.get(slug="invited_to_planning")
    client.force_login(alice)

    client.post(
        reverse("interaction-new", args=[alices_account.pk]),
        {
            "occurred_on": "2026-11-18",
            "kind": "meeting",
            "participants": [dana.pk],
            "signals": [signal.pk],
            "notes": "Planning",
        },
    )

    (created,) = _data(events.INTERACTION_CREATED)
    assert created["account"] == {
        "id": alices_account.pk,
        "external_id": "",
        "name": "Northwind Freight",
    }
    interaction = alices_account.interactions.get()
    assert created["interaction"] == {
        "id": interaction.pk,
        "external_id": "",
        "occurred_on": "2026-11-18",
        "kind": "meeting",
        "kind_label": "Meeting",
        "initiated_by_client": False,
        "sentiment": None,
        "signals": ["invited_to_planning"],
        "participants": [{"id": dana.pk, "name": "Dana Reyes"}],
        "logged_by": "alice",
    }


def test_bad_input_on_the_log_form_writes_no_event(client, register, alice, alices_account):
    register("https://bi.example/hooks")
    client.force_login(alice)

    response = client.post(
        reverse("interaction-new", args=[alices_account.pk]),
        {"occurred_on": "not a date", "kind": "meeting"},
    )

    assert response.status_code == 200
    assert not Event.objects.exists()


def test_the_use_case_the_api_and_capture_call_sends_interaction_created(
    register, alice, alices_account
):
    register("https://bi.example/hooks", events=[events.INTERACTION_CREATED])

    use_cases.interaction_log(
        account=alices_account,
        actor=alice,
        data=InteractionInput(occurred_on=TODAY, kind="call"),
    )

    assert [d["interaction"]["kind"] for d in _data(events.INTERACTION_CREATED)] == ["call"]


def test_marking_an_account_lost_on_its_page_sends_account_lost(
    client, register, lena, alices_account
):
    register("https://bi.example/hooks", events=[events.ACCOUNT_LOST])
    InteractionFactory(account=alices_account, occurred_on=timezone.localdate())
    client.force_login(lena)
    lost_on = timezone.localdate() - datetime.timedelta(days=3)

    client.post(
        reverse("account-lost", args=[alices_account.pk]),
        {"lost_on": lost_on.isoformat(), "reason": "competitor", "note": "Re-tendered."},
    )

    assert _data(events.ACCOUNT_LOST) == [
        {
            "account": {"id": alices_account.pk, "external_id": "", "name": "Northwind Freight"},
            "lost_on": lost_on.isoformat(),
            "reason": "competitor",
            "reason_label": "Went to a competitor",
            "note": "Re-tendered.",
        }
    ]


def test_undoing_a_win_back_sends_account_lost_again_and_undoing_a_loss_sends_nothing(
    client, register, lena, alices_account
):
    register("https://bi.example/hooks", events=[events.ACCOUNT_LOST])
    client.force_login(lena)
    lost_on = timezone.localdate() - datetime.timedelta(days=3)
    lost = {"lost_on": lost_on.isoformat(), "reason": "price", "note": ""}
    client.post(reverse("account-lost", args=[alices_account.pk]), lost)
    client.post(reverse("account-reopen", args=[alices_account.pk]))
    win_back = AuditEntry.objects.filter(account=alices_account).latest("pk")

    client.post(reverse("interaction-undo", args=[win_back.pk]))

    alices_account.refresh_from_db()
    assert alices_account.status == "lost"
    assert [data["lost_on"] for data in _data(events.ACCOUNT_LOST)] == [lost_on.isoformat()] * 2

    client.post(reverse("account-reopen", args=[alices_account.pk]))
    client.post(reverse("account-lost", args=[alices_account.pk]), lost)
    loss = AuditEntry.objects.filter(account=alices_account).latest("pk")
    client.post(reverse("interaction-undo", args=[loss.pk]))

    alices_account.refresh_from_db()
    assert alices_account.status == "active"
    assert len(_data(events.ACCOUNT_LOST)) == 3  # the loss itself, not its undo


ACCOUNTS_HEADER = (
    "external_id,name,industry,owner_username,annual_revenue,partnership_potential,status,lost_on\n"
)
INTERACTIONS = """external_id,account_external_id,occurred_on,kind,initiated_by_client,notes,signals
I1,A1,2026-03-02,meeting,true,Quarterly plan,invited_to_planning;early_notice_of_plans
I2,A1,2026-04-10,call,false,,
I3,A2,2026-05-01,workshop,false,,delivery_miss
"""


BOTH_ACTIVE = (
    "A1,Northwind,Logistics,alice,1,regular,active,\nA2,Bluepeak,Food,alice,1,regular,active,\n"
)


def _import(accounts, *, dry_run=False):
    files = {
        "accounts.csv": (ACCOUNTS_HEADER + accounts).encode(),
        "interactions.csv": INTERACTIONS.encode(),
    }
    return use_cases.portfolio_import(files=files, dry_run=dry_run, today=TODAY, workers=1)


def test_an_import_sends_one_event_per_interaction_it_creates_and_per_account_it_loses(
    register, alice
):
    register("https://bi.example/hooks", events=[events.INTERACTION_CREATED, events.ACCOUNT_LOST])
    both_active = (
        "A1,Northwind,Logistics,alice,1,regular,active,\nA2,Bluepeak,Food,alice,1,regular,active,\n"
    )
    assert _import(both_active).ok

    created = _data(events.INTERACTION_CREATED)
    assert sorted(d["interaction"]["external_id"] for d in created) == ["I1", "I2", "I3"]
    plan = next(d for d in created if d["interaction"]["external_id"] == "I1")
    assert plan["interaction"]["signals"] == ["early_notice_of_plans", "invited_to_planning"]
    assert plan["account"]["name"] == "Northwind"

    # The same file again, with Bluepeak lost: nothing new was logged, one account lost.
    a2_lost = BOTH_ACTIVE.replace(
        "Food,alice,1,regular,active,", "Food,alice,1,regular,lost,2026-06-30"
    )
    assert _import(a2_lost).ok

    assert len(_data(events.INTERACTION_CREATED)) == 3
    (lost,) = _data(events.ACCOUNT_LOST)
    assert (lost["account"]["name"], lost["lost_on"]) == ("Bluepeak", "2026-06-30")


def test_a_refused_import_or_a_dry_run_writes_no_event(register, alice):
    register("https://bi.example/hooks")

    # interactions.csv names Bluepeak (A2), which accounts.csv lacks: nothing is imported.
    refused = _import("A1,Northwind,Logistics,alice,1,regular,active,\n")
    dry = _import(BOTH_ACTIVE, dry_run=True)

    assert not refused.ok
    assert dry.ok and dry.count("interactions", "created") == 3
    assert not Event.objects.exists()


# Standings ---------------------------------------------------------------------------------


def _standing_was(account, *, stage="virtual_partner", score=95.0, risk=90.0):
    """Give the account a latest standing under the live profile, as an earlier scoring left
    it (the rescore that follows replaces it with what its evidence says now)."""
    ScoreSnapshot.objects.create(
        account=account,
        profile=profile_active(),
        week_ending=datetime.date(2026, 11, 8),
        score=score,
        stage=stage,
        decline_risk=risk,
        is_latest=True,
    )


def _with_a_meeting(account):
    InteractionFactory(account=account, occurred_on=TODAY - datetime.timedelta(days=10))
    return account


def test_a_rescore_that_moves_the_stage_and_the_risk_band_sends_both_events(
    register, alices_account
):
    register("https://bi.example/hooks")
    _with_a_meeting(alices_account)
    _standing_was(alices_account, stage="virtual_partner", score=95.0, risk=90.0)

    account_rescore(account_id=alices_account.pk, as_of=TODAY)

    now = ScoreSnapshot.objects.get(account=alices_account, is_latest=True)
    (stage,) = _data(events.STAGE_CHANGED)
    assert stage["account"]["name"] == "Northwind Freight"
    assert stage["before"]["stage"] == "virtual_partner"
    assert stage["after"]["stage"] == now.stage != "virtual_partner"
    assert stage["after"]["score"] == now.score
    assert stage["direction"] == "down"
    assert stage["profile_version"] == profile_active().version
    (band,) = _data(events.RISK_BAND_CHANGED)
    assert (band["before"]["risk_band"], band["before"]["decline_risk"]) == ("high", 90.0)
    assert band["after"]["decline_risk"] == now.decline_risk < 60
    assert band["direction"] == "down"


def test_a_rescore_that_moves_nothing_sends_nothing(register, alices_account):
    register("https://bi.example/hooks")
    _with_a_meeting(alices_account)
    account_rescore(account_id=alices_account.pk, as_of=TODAY)  # the first score: no "change"

    account_rescore(account_id=alices_account.pk, as_of=TODAY)

    assert not Event.objects.exists()


def test_a_full_recompute_sends_one_event_per_account_that_moved(register, alice):
    register("https://bi.example/hooks", events=[events.STAGE_CHANGED])
    moved = [_with_a_meeting(AccountFactory(owner=alice)) for _ in range(12)]
    for account in moved:
        _standing_was(account)
    unmoved = _with_a_meeting(AccountFactory(owner=alice))
    scores_recompute(account_ids=[unmoved.pk], as_of=TODAY)

    scores_recompute(as_of=TODAY, workers=1)

    changed = _data(events.STAGE_CHANGED)
    assert sorted(d["account"]["id"] for d in changed) == sorted(a.pk for a in moved)
    assert {d["before"]["stage"] for d in changed} == {"virtual_partner"}


def test_the_events_of_a_recompute_cost_the_same_queries_for_many_accounts(register, alice):
    register("https://bi.example/hooks")

    def queries_for(count):
        accounts = [_with_a_meeting(AccountFactory(owner=alice)) for _ in range(count)]
        ids = [account.pk for account in accounts]
        scores_recompute(account_ids=ids, as_of=TODAY, workers=1)  # a first standing each
        ScoreSnapshot.objects.filter(account_id__in=ids).update(
            stage="virtual_partner", decline_risk=90.0
        )
        before = Event.objects.count()
        with CaptureQueriesContext(connection) as captured:
            scores_recompute(account_ids=ids, as_of=TODAY, workers=1)
        assert Event.objects.count() - before == 2 * count  # a stage and a band each
        return len(captured)

    assert queries_for(4) == queries_for(40)


def test_with_no_endpoint_a_recompute_writes_no_event(alice):
    account = _with_a_meeting(AccountFactory(owner=alice))
    _standing_was(account)

    scores_recompute(as_of=TODAY, workers=1)

    assert not Event.objects.exists()


def _gone_quiet(account):
    """Six monthly meetings, the last two months ago: a decline risk of about 26 (low)."""
    for month in range(6):
        InteractionFactory(account=account, occurred_on=TODAY - datetime.timedelta(60 + 30 * month))
    return account


def test_a_new_scoring_version_going_live_announces_the_accounts_it_moves(register, alice):
    register("https://bi.example/hooks", events=[events.RISK_BAND_CHANGED])
    accounts = [_gone_quiet(AccountFactory(owner=alice)) for _ in range(3)]
    scores_recompute(as_of=TODAY, workers=1)
    live = profile_active()
    stricter = profile_create(params={**live.params, "risk_bands": {"medium": 1, "high": 2}})
    scores_recompute(profile=stricter, as_of=TODAY, workers=1)
    assert not Event.objects.exists()  # computed, not live yet

    profile_activate(profile=stricter)

    moved = _data(events.RISK_BAND_CHANGED)
    assert sorted(d["account"]["id"] for d in moved) == sorted(a.pk for a in accounts)
    assert {d["after"]["risk_band"] for d in moved} == {"high"}
    assert {d["before"]["risk_band"] for d in moved} <= {"low", "medium"}
    assert {d["profile_version"] for d in moved} == {stricter.version}
