"""What hostile input looks like: hypothesis strategies for the fields of any form, and
the classic inputs every test tries in each of its fields."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from hypothesis import HealthCheck, example, settings
from hypothesis import strategies as st

# Surrogates cannot be encoded into a request at all, so they are left out.
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
TEXT = st.text(alphabet=st.characters(blacklist_categories=SURROGATES), max_size=40)
NASTY = st.sampled_from(
    [
        "",
        " ",
        " \t\n ",
        "\x00",
        "a\x00b",
        "x" * 10_000,
        "€" * 10_000,
        "\u202eRTL override\u202c",
        "עברית ومرحبا",
        "😀👍🏽🇪🇺",
        "\u200b",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "%s %(x)s {0} {{ x }}",
        "1e309",
        "-1e309",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "-0",
        "0",
        "-1",
        "1.5",
        "9" * 40,
        "-" + "9" * 40,
        "0x10",
        "1_000",
        "0000-00-00",
        "0001-01-01",
        "1900-01-01",
        "9999-12-31",
        "2026-02-30",
        "2026-13-01",
        "31/12/2025",
        "true",
        "on",
        "null",
        "[]",
        "{}",
    ]
)
SCALAR = st.one_of(
    NASTY,
    TEXT,
    st.integers().map(str),
    st.floats().map(str),
    st.dates().map(datetime.date.isoformat),
    # Dates around the edges of what the app accepts: 1970, and today.
    st.dates(datetime.date(1960, 1, 1), datetime.date(2030, 12, 31)).map(datetime.date.isoformat),
)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
# A field's value: one hostile string, the same key posted two or three times, or no field.
VALUE = st.one_of(SCALAR, SCALAR, st.lists(SCALAR, min_size=2, max_size=3), st.just(MISSING))


def fuzz(*fields: str, values: st.SearchStrategy = VALUE) -> st.SearchStrategy[dict[str, Any]]:
    """Replacements for one or several of `fields`."""
    return st.dictionaries(st.sampled_from(fields), values, min_size=1, max_size=len(fields))


def with_refs(*names: str) -> st.SearchStrategy:
    """Hostile values, or one of the named ids the test knows (another account's contact, a
    user who is not a manager...)."""
    return st.one_of(VALUE, st.sampled_from(names), st.lists(st.sampled_from(names), max_size=3))


# The inputs that break forms most often; every test tries each in each of its fields.
CLASSICS = ["\x00", "a\x00b", "x" * 10_000, "9" * 40, "1e309", "NaN", "0001-01-01", "", MISSING]


def classic_cases(*fields: str, **fixed: Any):
    """Always try the valid submission, and each classic input in each of `fields` (with
    `fixed` for the other arguments), besides what hypothesis generates."""

    def decorate(test):
        test = example(changes={}, **fixed)(test)
        for name in fields:
            for value in CLASSICS:
                test = example(changes={name: value}, **fixed)(test)
        return test

    return decorate


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
