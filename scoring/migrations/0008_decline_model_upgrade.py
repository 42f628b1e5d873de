"""Bring every stored scoring profile to the decline model of docs/model.md.

That model reads the evidence differently (the score no longer saturates, drivers combine as
independent chances, signals can warn on their own), so the parameters that mean something
new take the new defaults, and the ones whose meaning is unchanged keep any value an admin had
tuned. Every version's weekly snapshots were computed by the old model: they are removed, and
the worker's catch-up, which migrating queues, recomputes each account's history under the
active version (scoring/jobs/catch_up.py). Each version's history says what changed.
"""

from django.db import migrations

from scoring.engine import DEFAULTS, flatten, unflatten, validate

# The parameters whose meaning did not change, with their defaults before this migration: a
# stored value that differs from these was tuned by someone, and is kept.
KEPT_IF_TUNED = {
    "signal_weights": {
        "delivered_as_promised": 3,
        "repeat_business": 4,
        "shared_business_details": 5,
        "early_notice_of_plans": 6,
        "invited_to_planning": 8,
        "inner_circle_access": 8,
        "treated_as_team_member": 10,
        "strategy_advice_requested": 10,
        "consulted_on_major_decision": 12,
        "brought_external_insight": 6,
        "solved_underlying_problem": 7,
        "issue_resolved_jointly": 6,
        "delivery_miss": 10,
        "price_pressure": 4,
        "retender_or_competitive_bid": 12,
        "competitor_invited": 10,
        "escalation": 7,
        "champion_left": 10,
        "excluded_from_planning": 9,
    },
    "default_signal_weight": 4,
    "interaction_weights": {
        "meeting": 1.0,
        "call": 0.5,
        "email": 0.2,
        "workshop": 2.0,
        "business_review": 1.5,
        "planning_session": 2.5,
        "social": 1.5,
        "other": 0.3,
    },
    "client_initiated_multiplier": 1.5,
    "negative_half_life_days": 90,
    "hysteresis": 4,
    "gates": {
        "confidant": ["invited_to_planning", "early_notice_of_plans"],
        "consultant": ["strategy_advice_requested"],
        "virtual_partner": ["consulted_on_major_decision"],
    },
    "gate_window_days": {"confidant": 365, "consultant": 365, "virtual_partner": 365},
    "tolerance": {"vendor": 1.5, "confidant": 1.0, "consultant": 0.6, "virtual_partner": 0.5},
    "rhythm_window_days": 365,
    "negatives_window_days": 90,
    "contact_window_days": 120,
    "relevance_window_days": 365,
    "perception_window_days": 365,
    "risk_bands": {"medium": 30, "high": 60},
}


def upgraded(params: dict) -> dict:
    """The new defaults, with every tuned value of an unchanged parameter carried over."""
    old, before = flatten(params), flatten(KEPT_IF_TUNED)
    new = flatten(DEFAULTS)
    for path, value in old.items():
        key = path.partition(".")[0]
        tuned = path not in before or before[path] != value
        if key in KEPT_IF_TUNED and tuned:
            new[path] = value
    result = unflatten(new)
    return result if not validate(result) else DEFAULTS


def forwards(apps, schema_editor):
    ScoringProfile = apps.get_model("scoring", "ScoringProfile")
    ProfileChange = apps.get_model("scoring", "ProfileChange")
    ScoreSnapshot = apps.get_model("scoring", "ScoreSnapshot")
    for profile in ScoringProfile.objects.all():
        params = upgraded(profile.params)
        if params == profile.params:
            continue
        old, new = flatten(profile.params), flatten(params)
        diff = {
            path: [old.get(path), new.get(path)]
            for path in sorted(old.keys() | new.keys())
            if old.get(path) != new.get(path)
        }
        ScoringProfile.objects.filter(pk=profile.pk).update(params=params)
        ProfileChange.objects.create(
            profile=profile,
            action="edited",
            summary=(
                "Upgraded to the decline model of docs/model.md: new defaults for what it reads "
                "differently, tuned values kept where the meaning is unchanged"
            ),
            diff=diff,
        )
    ScoreSnapshot.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0007_backtest_progress"),
        ("relationships", "0002_default_signal_catalog"),
    ]

    # Forwards only: the snapshots of the old model are gone, and the old parameters with them.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
