"""Explanations in words and whole numbers, as pages show them."""

import math

from hypothesis import given
from hypothesis import strategies as st

from scoring.engine.explain import RISK_DRIVER_LABELS, risk_driver_label, rounded_parts
from scoring.engine.profile import RISK_DRIVERS


def test_whole_numbers_add_up_to_the_rounded_total_where_rounding_each_would_not():
    parts = [33.4, 33.4, 33.2]  # each rounds to 33: 99, not 100
    assert rounded_parts(parts, 100.0) == [34, 33, 33]
    # Negative parts (bad news, the floor that keeps a score at 0) take part too.
    assert rounded_parts([12.6, -4.3, 2.2], 10.5) == [13, -4, 2]


@given(st.lists(st.floats(-60, 100, allow_nan=False), min_size=1, max_size=12))
def test_rounded_parts_add_up_and_each_stays_within_one_of_its_part(parts):
    total = sum(parts)
    shown = rounded_parts(parts, total)
    assert sum(shown) == math.floor(total + 0.5)
    assert all(abs(whole - part) < 1 for whole, part in zip(shown, parts, strict=True))


def test_every_driver_has_a_plain_name():
    assert set(RISK_DRIVER_LABELS) == set(RISK_DRIVERS)
    assert risk_driver_label("warnings") == "Warning from the client"
    assert risk_driver_label("old_driver") == "Old driver"  # from an earlier release
