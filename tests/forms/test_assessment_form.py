"""Recording an assessment, with any input."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from relationships.models import Assessment
from tests.forms.strategies import FUZZ, classic_cases, fuzz
from tests.forms.support import (
    EVIDENCE,
    accepted,
    assert_explained,
    payload,
    rolled_back,
    rows,
    submitted,
)


@FUZZ
@classic_cases("relevance", "client_perceived_stage", "note", htmx=True)
@given(changes=fuzz("relevance", "client_perceived_stage", "note"), htmx=st.booleans())
def test_an_assessment_with_any_input_is_recorded_or_explained_and_not_written(
    client, alice, alices_account, changes, htmx
):
    """An assessment is recorded with its audit entry, or refused and not written."""
    valid = {"relevance": "4", "client_perceived_stage": "confidant", "note": "Said so at lunch"}
    data = payload(valid, changes)
    with rolled_back():
        response, before = submitted(
            client, alice, reverse("assessment-new", args=[alices_account.pk]), data, htmx=htmx
        )
        after = rows(*EVIDENCE)
        if accepted(response):
            assessment = Assessment.objects.get(account=alices_account)
            assert 1 <= assessment.relevance <= 5
            assert after["AuditEntry"] == before["AuditEntry"] + 1
        else:
            assert_explained(response, response.context["assessment_form"])
            assert after == before
