"""Upgrading a database scored by the earlier model: its profiles take the new parameters,
keep what an admin had tuned, say so in their history, and are scored afresh."""

import copy

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from scoring.engine import DEFAULTS, validate
from tests.factories import AccountFactory

BEFORE = ("scoring", "0007_backtest_progress")
UPGRADE = ("scoring", "0008_decline_model_upgrade")


def _old_defaults() -> dict:
    from importlib import import_module

    upgrade = import_module("scoring.migrations.0008_decline_model_upgrade")
    old = copy.deepcopy(upgrade.KEPT_IF_TUNED)
    # What the earlier model had besides, and this one reads differently or not at all.
    old |= {
        "half_life_days": {"delivery": 120, "openness": 180},
        "interaction_half_life_days": 60,
        "score_scale": 80,
        "stage_thresholds": {"confidant": 30, "consultant": 55, "virtual_partner": 78},
        "risk_weights": {"silence": 25, "momentum": 20, "negatives": 20},
        "silence_full_ratio": 3.0,
        "momentum_weeks": 8,
        "momentum_full_drop": 15,
        "negatives_full_points": 20,
    }
    return old


@pytest.mark.django_db(transaction=True)
def test_old_profiles_take_the_new_model_and_keep_what_was_tuned():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    apps = executor.loader.project_state([BEFORE]).apps
    Profile = apps.get_model("scoring", "ScoringProfile")
    Snapshot = apps.get_model("scoring", "ScoreSnapshot")
    untouched = _old_defaults()
    tuned = _old_defaults()
    tuned["signal_weights"]["delivery_miss"] = 14
    tuned["hysteresis"] = 6
    tuned["score_scale"] = 50  # tuned too, but it means something else now
    Profile.objects.all().delete()
    first = Profile.objects.create(version=1, params=untouched, is_active=True, frozen=True)
    Profile.objects.create(version=2, params=tuned)
    # Accounts are not migrated back: they are made with today's model.
    account = AccountFactory(name="Northwind")
    Snapshot.objects.create(
        account_id=account.pk, profile=first, week_ending="2026-11-01", score=90, stage="vendor",
        decline_risk=20, is_latest=True,
    )  # fmt: skip

    executor.loader.build_graph()
    executor.migrate([UPGRADE])

    apps = executor.loader.project_state([UPGRADE]).apps
    Profile = apps.get_model("scoring", "ScoringProfile")
    first, second = Profile.objects.order_by("version")
    assert first.params == DEFAULTS
    assert validate(second.params) == {}
    assert second.params["signal_weights"]["delivery_miss"] == 14
    assert second.params["hysteresis"] == 6
    assert second.params["score_scale"] == DEFAULTS["score_scale"]
    assert "negatives_full_points" not in second.params
    assert second.params["warning_signals"] == DEFAULTS["warning_signals"]
    change = apps.get_model("scoring", "ProfileChange").objects.get(profile=second)
    assert change.summary.startswith("Upgraded to the decline model of docs/model.md")
    assert change.diff["score_scale"] == [50, DEFAULTS["score_scale"]]
    assert "signal_weights.delivery_miss" not in change.diff
    assert not apps.get_model("scoring", "ScoreSnapshot").objects.exists()

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
