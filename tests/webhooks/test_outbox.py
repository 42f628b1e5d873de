"""The outbox: events written with the change that made them, in bulk, and only when wanted."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relationships.services import InteractionInput
from scoring import use_cases
from webhooks import events
from webhooks.models import Delivery, Event
from webhooks.outbox import event_emit, events_emit

pytestmark = pytest.mark.django_db


def _payloads_never_built():
    raise AssertionError("the payloads were built although nobody listens")
    yield {}  # a generator


def _meeting():
    return InteractionInput(occurred_on=timezone.localdate(), kind="meeting")


def test_with_no_endpoint_nothing_is_written_and_it_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        written = events_emit(kind=events.INTERACTION_CREATED, payloads=_payloads_never_built())

    assert written == 0
    assert not Event.objects.exists()


def test_an_endpoint_that_wants_other_events_or_is_disabled_gets_none(register):
    register("https://bi.example/hooks", events=[events.ACCOUNT_LOST])
    off = register("https://chat.example/hooks")
    off.is_enabled = False
    off.save()

    assert event_emit(kind=events.INTERACTION_CREATED, payload={"interaction": {"id": 1}}) == 0
    assert not Event.objects.exists()


def test_each_subscribing_endpoint_gets_one_delivery_of_each_event(register):
    bi = register("https://bi.example/hooks", events=[events.ACCOUNT_LOST])
    erp = register("https://erp.example/hooks")

    written = events_emit(kind=events.ACCOUNT_LOST, payloads=[{"n": 1}, {"n": 2}])

    assert written == 2
    assert Delivery.objects.filter(endpoint=bi).count() == 2
    assert Delivery.objects.filter(endpoint=erp).count() == 2
    first = Event.objects.order_by("pk").first()
    assert first is not None
    assert first.payload["type"] == "account.lost" and first.payload["data"] == {"n": 1}
    assert first.payload["timestamp"].endswith("Z")


def test_many_events_cost_the_same_queries_as_a_few(register):
    register("https://bi.example/hooks")

    def queries_for(count):
        with CaptureQueriesContext(connection) as captured:
            events_emit(kind=events.ACCOUNT_LOST, payloads=({"n": n} for n in range(count)))
        return len(captured)

    few, many = queries_for(3), queries_for(300)
    # Two inserts (events, deliveries) whatever the count; SQLite caps the parameters of one
    # statement, so there they go in batches of a hundred rows or more: never one per row.
    assert many <= few + (4 if connection.vendor == "sqlite" else 0)
    assert Event.objects.count() == 303


def test_an_unknown_event_type_is_refused():
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        event_emit(kind="account.renamed", payload={})


def test_the_event_is_kept_when_the_change_commits_and_gone_when_it_rolls_back(
    register, alice, alices_account
):
    register("https://bi.example/hooks")

    with pytest.raises(RuntimeError), transaction.atomic():
        use_cases.interaction_log(account=alices_account, actor=alice, data=_meeting())
        assert Event.objects.filter(kind=events.INTERACTION_CREATED).count() == 1
        raise RuntimeError("something later in the same change failed")

    assert not Event.objects.exists() and not Delivery.objects.exists()
    use_cases.interaction_log(account=alices_account, actor=alice, data=_meeting())
    assert Event.objects.filter(kind=events.INTERACTION_CREATED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_leaves_its_event_committed_for_the_worker(
    register, alice, alices_account
):
    register("https://bi.example/hooks")

    interaction, _ = use_cases.interaction_log(account=alices_account, actor=alice, data=_meeting())

    # Read back over the committed data, as the worker's own connection would.
    event = Event.objects.get(kind=events.INTERACTION_CREATED)
    assert event.payload["data"]["interaction"]["id"] == interaction.pk
    assert event.deliveries.get().next_attempt_at is not None
