"""A profile is validated as a whole, with one readable message per bad field."""

import copy

import pytest

from scoring.engine import DEFAULTS, MEANINGS, Profile, ProfileError, flatten, unflatten, validate


def changed(**changes):
    params = copy.deepcopy(DEFAULTS)
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        target = params
        for part in path:
            target = target[part]
        target[last] = value
    return params


def test_the_default_profile_is_valid():
    assert validate(DEFAULTS) == {}
    assert Profile.default().signal_weight("consulted_on_major_decision") == 12


def test_signal_types_without_their_own_weight_use_the_default_weight():
    assert (
        Profile.default().signal_weight("a_type_added_later") == DEFAULTS["default_signal_weight"]
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"stage_thresholds__consultant": 25},
            "stage_thresholds.consultant",
            "Thresholds must rise with the stage: consultant (25) must be above confidant (28).",
        ),
        (
            {"stage_thresholds__virtual_partner": 120},
            "stage_thresholds.virtual_partner",
            "Must be between 1 and 99; 120 is out of range.",
        ),
        (
            {"signal_weights__delivery_miss": -3},
            "signal_weights.delivery_miss",
            "Must be between 0 and 50; -3 is out of range.",
        ),
        (
            {"half_life_days__delivery": "soon"},
            "half_life_days.delivery",
            "Must be a number, not 'soon'.",
        ),
        (
            {"gate_window_days__consultant": 0},
            "gate_window_days.consultant",
            "Must be between 7 and 3650; 0 is out of range.",
        ),
        (
            {"tolerance__consultant": 1.2},
            "tolerance.consultant",
            "Tolerance grows with trust, so a mistake may not cost more at consultant (1.2) "
            "than at confidant (1).",
        ),
        (
            {"silence_full_ratio__virtual_partner": 4.5},
            "silence_full_ratio.virtual_partner",
            "Silence says more the closer the relationship, so it may not take longer at "
            "virtual partner (4.5) than at consultant (3).",
        ),
        (
            {"warning_signals__champion_left": 120},
            "warning_signals.champion_left",
            "Must be between 0 and 100; 120 is out of range.",
        ),
        (
            {"warning_signals": ["retender_or_competitive_bid"]},
            "warning_signals",
            "Must map signal slugs to the risk each carries.",
        ),
        (
            {"risk_bands__high": 20},
            "risk_bands.high",
            "The high band (20) must start above medium (30).",
        ),
        ({"hysteresis": 35}, "hysteresis", "Must be between 0 and 20; 35 is out of range."),
        (
            {"gates__consultant": "strategy"},
            "gates.consultant",
            "Must be a list of signal slugs (may be empty).",
        ),
        (
            {"momentum_weeks": 8.5},
            "momentum_weeks",
            "Must be a whole number of weeks, not 8.5.",
        ),
        (
            {"interaction_weights__meeting": True},
            "interaction_weights.meeting",
            "Must be a number, not True.",
        ),
    ],
)
def test_each_bad_field_gets_its_own_message(changes, field, message):
    errors = validate(changed(**changes))
    assert errors == {field: message}
    with pytest.raises(ProfileError) as raised:
        Profile.from_dict(changed(**changes))
    assert raised.value.errors == {field: message}


def test_all_problems_are_reported_at_once():
    params = changed(score_scale=0, risk_weights__silence=500)
    del params["hysteresis"]
    params["surprise"] = 1
    assert validate(params) == {
        "profile": "Unknown parameters: surprise.",
        "score_scale": "Must be between 1 and 1000; 0 is out of range.",
        "risk_weights.silence": "Must be between 0 and 100; 500 is out of range.",
        "hysteresis": "Missing.",
    }


def test_a_profile_keeps_its_own_copy_of_the_parameters():
    params = changed()
    profile = Profile.from_dict(params)
    params["signal_weights"]["delivery_miss"] = 49
    assert profile.signal_weight("delivery_miss") == DEFAULTS["signal_weights"]["delivery_miss"]


def test_every_parameter_has_a_meaning_for_the_tuning_page():
    assert set(MEANINGS) == set(DEFAULTS)
    assert all(0 < len(line) <= 100 for line in MEANINGS.values())


def test_flattening_a_profile_round_trips():
    flat = flatten(DEFAULTS)
    assert flat["stage_thresholds.consultant"] == 58
    assert flat["warning_signals.competitor_invited"] == 65
    assert flat["gates.consultant"] == ["strategy_advice_requested"]
    assert unflatten(flat) == DEFAULTS
