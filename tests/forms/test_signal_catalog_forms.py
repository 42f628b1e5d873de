"""The signal catalog's forms (scoring admin): adding, renaming and retiring a signal type."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from relationships.models import SignalType
from tests.forms.strategies import FUZZ, MISSING, TEXT, VALUE, classic_cases, fuzz
from tests.forms.support import (
    HTMX,
    accepted,
    assert_answered,
    assert_explained,
    from_context,
    payload,
    rolled_back,
    rows,
    sent,
)

CATALOG_ROWS = (SignalType, LogEntry)


@FUZZ
@classic_cases("name", "slug", "category", "polarity", "description")
@given(changes=fuzz("name", "slug", "category", "polarity", "description"))
def test_adding_a_signal_type_with_any_input_adds_it_or_explains(client, sam, changes):
    """A new type lands in the catalog with its history line, or is refused and not added."""
    valid = {
        "name": "Asked for references",
        "slug": "asked_for_references",
        "category": "advisory",
        "polarity": "1",
        "description": "They asked us to vouch for a partner of theirs.",
    }
    data = payload(valid, changes)
    with rolled_back():
        client.force_login(sam)
        before = rows(*CATALOG_ROWS)

        response = client.post(reverse("signal-catalog"), data)

        assert_answered(response)
        after = rows(*CATALOG_ROWS)
        if accepted(response):
            added = SignalType.objects.get(slug=sent(data, "slug").strip())
            assert added.name.strip() and added.is_active
            assert after == {
                "SignalType": before["SignalType"] + 1,
                "LogEntry": before["LogEntry"] + 1,
            }
        else:
            assert_explained(response, response.context["form"])
            assert after == before


@FUZZ
@classic_cases("name", "description", htmx=False)
@given(changes=fuzz("name", "description"), htmx=st.booleans())
def test_renaming_a_signal_type_with_any_input_renames_it_or_explains(client, sam, changes, htmx):
    """A rename keeps the slug; a refused one keeps the name and writes no history."""
    planning = SignalType.objects.get(slug="invited_to_planning")
    valid = {"name": "Invited into their planning", "description": "Clearer words."}
    data = payload(valid, changes)
    with rolled_back():
        client.force_login(sam)
        before = rows(*CATALOG_ROWS)

        response = client.post(
            reverse("signal-type-edit", args=[planning.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        current = SignalType.objects.get(pk=planning.pk)
        assert current.slug == "invited_to_planning"
        form = from_context(response, "edit_form")
        if response.status_code == 302 or (htmx and form is None):
            assert current.name.strip()
        else:
            assert_explained(response, form)
            assert (current.name, current.description) == (planning.name, planning.description)
            assert rows(*CATALOG_ROWS) == before


@FUZZ
@given(junk=st.dictionaries(TEXT, VALUE.filter(lambda v: v is not MISSING), max_size=3))
def test_retiring_a_signal_type_ignores_stray_fields(client, sam, junk):
    """Retire and bring back flip one type, whatever else the request carries."""
    planning = SignalType.objects.get(slug="invited_to_planning")
    with rolled_back():
        client.force_login(sam)
        retire = client.post(reverse("signal-type-toggle", args=[planning.pk]), junk)
        assert_answered(retire)
        assert not SignalType.objects.get(pk=planning.pk).is_active
        back = client.post(reverse("signal-type-toggle", args=[planning.pk]), junk)
        assert_answered(back)
        assert SignalType.objects.get(pk=planning.pk).is_active
