import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from relationships.models import Polarity, SignalType

NEGATIVE = {
    "delivery_miss",
    "price_pressure",
    "retender_or_competitive_bid",
    "competitor_invited",
    "escalation",
    "champion_left",
    "excluded_from_planning",
}
POSITIVE = {
    "delivered_as_promised",
    "shared_business_details",
    "early_notice_of_plans",
    "invited_to_planning",
    "inner_circle_access",
    "strategy_advice_requested",
    "consulted_on_major_decision",
    "treated_as_team_member",
    "repeat_business",
    "brought_external_insight",
    "solved_underlying_problem",
    "issue_resolved_jointly",
}


@pytest.mark.django_db
def test_the_default_catalog_ships_with_its_polarities():
    catalog = dict(SignalType.objects.values_list("slug", "polarity"))
    assert catalog == dict.fromkeys(POSITIVE, Polarity.POSITIVE) | dict.fromkeys(
        NEGATIVE, Polarity.NEGATIVE
    )


@pytest.mark.django_db
def test_every_default_signal_has_a_category_and_a_hint():
    for signal_type in SignalType.objects.all():
        assert signal_type.is_active
        assert signal_type.description, signal_type.slug
        assert signal_type.get_category_display() != signal_type.category, signal_type.slug


@pytest.mark.django_db
def test_stage_defining_signals_sit_in_their_categories():
    categories = dict(SignalType.objects.values_list("slug", "category"))
    assert categories["invited_to_planning"] == "inclusion"
    assert categories["early_notice_of_plans"] == "openness"
    assert categories["strategy_advice_requested"] == "advisory"
    assert categories["consulted_on_major_decision"] == "reliance"


@pytest.mark.django_db(transaction=True)
def test_the_catalog_migration_unloads_and_reloads():
    # Migrating back and forth reruns the data migrations, which put the catalog back; the
    # flush after this test empties it again, and the next test restores it
    # (tests/conftest.py: ensure_migrated_rows).
    executor = MigrationExecutor(connection)
    executor.migrate([("relationships", "0001_initial")])
    assert not SignalType.objects.exists()
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert SignalType.objects.count() == len(POSITIVE | NEGATIVE)
