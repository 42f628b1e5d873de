"""Logging, editing, deleting and undoing an interaction ("log a meeting"), with any input."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from relationships.models import (
    EARLIEST_EVIDENCE,
    AuditEntry,
    Contact,
    Interaction,
    SignalType,
    TrustSignal,
)
from relationships.services import interaction_version
from scoring.models import ScoreSnapshot
from tests.factories import InteractionFactory
from tests.forms.strategies import FUZZ, MISSING, TEXT, VALUE, classic_cases, fuzz, with_refs
from tests.forms.support import (
    EVIDENCE,
    HTMX,
    accepted,
    assert_answered,
    assert_explained,
    days_ago,
    payload,
    rolled_back,
    rows,
    signal_ids,
)

INTERACTION_FIELDS = (
    "occurred_on",
    "kind",
    "initiated_by_client",
    "notes",
    "sentiment",
    "participants",
    "new_contact_name",
    "new_contact_title",
    "signals",
)


def _interaction_payload(contact: Contact) -> dict[str, Any]:
    return {
        "occurred_on": days_ago(3),
        "kind": "meeting",
        "initiated_by_client": "on",
        "notes": "Quarterly plan",
        "sentiment": "1",
        "participants": [contact.pk],
        "new_contact_name": "",
        "new_contact_title": "",
        "signals": signal_ids("invited_to_planning", "early_notice_of_plans"),
    }


def _interaction_refs(bobs_contact: Contact) -> dict[str, Any]:
    """Ids a tampered form might send: another account's contact, a retired signal type (it
    retires one), and a signal type on offer."""
    retired = SignalType.objects.get(slug="excluded_from_planning")
    SignalType.objects.filter(pk=retired.pk).update(is_active=False)
    return {
        "other account's contact": str(bobs_contact.pk),
        "retired signal": str(retired.pk),
        "a signal": str(signal_ids("delivery_miss")[0]),
    }


@FUZZ
@classic_cases(*INTERACTION_FIELDS, htmx=True)
@given(
    changes=fuzz(
        *INTERACTION_FIELDS,
        values=with_refs("other account's contact", "retired signal", "a signal"),
    ),
    htmx=st.booleans(),
)
def test_logging_a_meeting_with_any_input_logs_it_whole_or_explains_and_writes_nothing(
    client, alice, alices_account, contact, bobs_contact, changes, htmx
):
    """A logged meeting comes with its audit entry; a refused one leaves no trace (not even
    the new contact it named)."""
    with rolled_back():
        data = payload(_interaction_payload(contact), changes, _interaction_refs(bobs_contact))
        client.force_login(alice)
        before = rows(*EVIDENCE)

        response = client.post(
            reverse("interaction-new", args=[alices_account.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        after = rows(*EVIDENCE)
        if accepted(response):
            assert after["Interaction"] == before["Interaction"] + 1
            assert after["AuditEntry"] == before["AuditEntry"] + 1
            logged = Interaction.objects.latest("pk")
            assert logged.account == alices_account and logged.logged_by == alice
            # No mistyped year stretches the account's history over centuries.
            assert logged.occurred_on >= EARLIEST_EVIDENCE
            assert ScoreSnapshot.objects.filter(account=alices_account, is_latest=True).exists()
        else:
            assert_explained(response, response.context["form"])
            assert after == before


def _interaction_state(interaction: Interaction) -> tuple:
    interaction.refresh_from_db()
    return (
        interaction.occurred_on,
        interaction.kind,
        interaction.initiated_by_client,
        interaction.notes,
        interaction.sentiment,
        sorted(interaction.participants.values_list("pk", flat=True)),
        sorted(interaction.signals.values_list("signal_type_id", flat=True)),
    )


@FUZZ
@classic_cases(*INTERACTION_FIELDS, "version", htmx=False)
@given(
    changes=fuzz(
        *INTERACTION_FIELDS,
        "version",
        values=with_refs("other account's contact", "retired signal", "a signal"),
    ),
    htmx=st.booleans(),
)
def test_editing_an_entry_with_any_input_saves_it_whole_or_explains_and_keeps_it(
    client, alice, alices_account, contact, bobs_contact, changes, htmx
):
    """An edit is saved with its audit entry, or refused with a message and the entry as it
    was."""
    with rolled_back():
        meeting = InteractionFactory(account=alices_account, occurred_on=timezone.localdate())
        meeting.participants.add(contact)
        valid = {**_interaction_payload(contact), "version": interaction_version(meeting)}
        data = payload(valid, changes, _interaction_refs(bobs_contact))
        client.force_login(alice)
        before = rows(*EVIDENCE)
        state = _interaction_state(meeting)

        response = client.post(
            reverse("interaction-edit", args=[meeting.pk]), data, **(HTMX if htmx else {})
        )

        assert_answered(response)
        after = rows(*EVIDENCE)
        if accepted(response):
            assert after["AuditEntry"] == before["AuditEntry"] + 1
            assert after["Interaction"] == before["Interaction"]
        else:
            assert_explained(response, response.context["form"])
            assert after == before
            assert _interaction_state(meeting) == state


@FUZZ
@given(
    junk=st.dictionaries(TEXT, VALUE.filter(lambda v: v is not MISSING), max_size=3),
    htmx=st.booleans(),
)
def test_deleting_and_undoing_ignore_stray_fields_and_put_everything_back(
    client, alice, alices_account, contact, junk, htmx
):
    """Delete takes the entry and its signals away; undo brings back the same rows, whatever
    else the request carries."""
    headers = HTMX if htmx else {}
    with rolled_back():
        meeting = InteractionFactory(account=alices_account, occurred_on=timezone.localdate())
        meeting.participants.add(contact)
        TrustSignal.objects.create(
            account=alices_account,
            interaction=meeting,
            signal_type=SignalType.objects.get(slug="invited_to_planning"),
            observed_on=meeting.occurred_on,
        )
        client.force_login(alice)
        state = _interaction_state(meeting)

        deleted = client.post(reverse("interaction-delete", args=[meeting.pk]), junk, **headers)

        assert_answered(deleted)
        assert accepted(deleted)
        assert not Interaction.objects.filter(pk=meeting.pk).exists()
        assert not TrustSignal.objects.filter(interaction_id=meeting.pk).exists()
        entry = AuditEntry.objects.get(action="deleted", subject_id=meeting.pk)

        undone = client.post(reverse("interaction-undo", args=[entry.pk]), junk, **headers)

        assert_answered(undone)
        assert accepted(undone)
        assert _interaction_state(meeting) == state

        again = client.post(reverse("interaction-undo", args=[entry.pk]), junk, **headers)

        assert_answered(again)
        if htmx:
            assert 'class="error"' in again.content.decode()
        else:
            page = client.get(again["Location"]).content.decode()
            assert "There is nothing to undo here." in page
        assert _interaction_state(meeting) == state
