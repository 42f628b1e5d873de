"""Logging an interaction through the API rescores the account and says what changed, as the
log form does; bad input is refused with the field named, and nothing is saved."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from relationships.models import AuditEntry, Interaction
from scoring.models import ScoreSnapshot


def _latest(account) -> ScoreSnapshot:
    return ScoreSnapshot.objects.get(account=account, is_latest=True)


def test_logging_an_interaction_rescores_the_account_and_says_what_changed(
    book, as_alice, client, alice
):
    north = book["north"]
    maria = north.contacts.get()
    before = _latest(north)

    response = as_alice.post(
        f"/accounts/{north.pk}/interactions",
        {
            "kind": "planning_session",
            "notes": "Their 2027 roadmap",
            "initiated_by_client": True,
            "sentiment": 2,
            "participants": [maria.pk],
            "signals": ["invited_to_planning", "strategy_advice_requested"],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    after = _latest(north)
    assert after.score > before.score
    assert body["standing_before"]["score"] == before.score
    assert body["standing"]["score"] == after.score
    assert (body["standing_before"]["stage"], body["standing"]["stage"]) == (
        "vendor",
        "confidant",
    )
    assert body["summary"] == (
        f"score {before.score:.0f} → {after.score:.0f}, up to confidant; "
        f"risk {before.decline_risk:.0f} → {after.decline_risk:.0f}"
    )
    logged = body["interaction"]
    assert logged["occurred_on"] == timezone.localdate().isoformat()
    assert logged["signals"] == ["invited_to_planning", "strategy_advice_requested"]
    assert logged["participants"] == [{"id": maria.pk, "name": "Maria Lopez"}]
    assert logged["logged_by"] == "alice"
    # The account page shows it, in the timeline and in its change history.
    client.force_login(alice)
    page = client.get(reverse("account-detail", args=[north.pk])).content.decode()
    assert "Their 2027 roadmap" in page
    assert AuditEntry.objects.filter(account=north, subject="interaction").exists()


def test_an_unknown_or_retired_signal_is_a_422_naming_the_field_and_saves_nothing(book, as_alice):
    north = book["north"]
    response = as_alice.post(
        f"/accounts/{north.pk}/interactions",
        {"notes": "x", "signals": ["invited_to_planning", "free_lunch"]},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "payload", "signals"],
            "msg": "Not an active signal type: free_lunch. GET /api/v1/signals lists them.",
            "type": "unknown_signal",
        }
    ]
    assert north.interactions.count() == 2


def test_what_the_log_form_refuses_is_a_422_with_its_words(book, as_alice):
    north = book["north"]
    tomorrow_but_one = timezone.localdate() + datetime.timedelta(days=2)
    response = as_alice.post(
        f"/accounts/{north.pk}/interactions",
        {"occurred_on": tomorrow_but_one.isoformat(), "new_contact_title": "CFO"},
    )

    assert response.status_code == 422
    errors = {tuple(error["loc"]): error["msg"] for error in response.json()["detail"]}
    assert errors == {
        ("body", "payload", "occurred_on"): (
            f"{tomorrow_but_one.isoformat()} is in the future: log what has already happened."
        ),
        ("body", "payload", "new_contact_name"): "Give the new contact's name, or clear the title.",
    }
    assert north.interactions.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"occurred_on": "03/02/2026"}, "occurred_on"),
        ({"kind": "dinner"}, "kind"),
        ({"sentiment": 5}, "sentiment"),
        ({"participants": [999_999]}, "participants"),
        ({"signals": "invited_to_planning"}, "signals"),
        ({"occurred_on": "1900-01-01"}, "occurred_on"),
    ],
)
def test_bad_input_names_the_field(book, as_alice, body, field):
    response = as_alice.post(f"/accounts/{book['north'].pk}/interactions", body)
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]
    assert Interaction.objects.filter(account=book["north"]).count() == 2


def test_a_body_that_is_not_json_is_a_400_saying_so(book, as_alice):
    response = as_alice.client.post(
        f"/api/v1/accounts/{book['north'].pk}/interactions",
        "{not json",
        content_type="application/json",
        headers=as_alice.headers,
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}
    assert book["north"].interactions.count() == 2


def test_nothing_is_logged_on_a_lost_account(book, as_alice):
    north = book["north"]
    north.status, north.lost_on = "lost", timezone.localdate()
    north.save()
    response = as_alice.post(f"/accounts/{north.pk}/interactions", {"notes": "x"})
    assert response.status_code == 409
    assert "lost" in response.json()["detail"]


def test_a_contact_is_added_as_the_account_page_adds_one(book, as_alice):
    north = book["north"]
    maria = north.contacts.get()
    response = as_alice.post(
        f"/accounts/{north.pk}/contacts",
        {
            "name": "Eve Park",
            "title": "CFO",
            "email": "eve@northwind.example",
            "reports_to": maria.pk,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["reports_to"] == maria.pk
    eve = north.contacts.get(name="Eve Park")
    assert (eve.title, eve.email, eve.reports_to) == ("CFO", "eve@northwind.example", maria)
    assert AuditEntry.objects.filter(account=north, summary="Contact added: Eve Park, CFO").exists()


def test_a_contact_the_page_would_refuse_is_a_422_naming_the_field(book, as_alice):
    north = book["north"]
    response = as_alice.post(
        f"/accounts/{north.pk}/contacts", {"name": "Maria L", "email": "MARIA@northwind.example"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "payload", "email"],
            "msg": "Someone at this client already has this email address.",
            "type": "invalid",
        }
    ]
    response = as_alice.post(
        f"/accounts/{north.pk}/contacts", {"name": "Bo", "role": "blocker", "is_champion": True}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "is_champion"]
    assert north.contacts.count() == 1
