import pytest
from django.urls import reverse

from relationships.models import Interaction, SignalType
from tests.factories import ContactFactory


@pytest.mark.django_db
def test_admin_refuses_a_participant_from_another_account(
    admin_client, alices_account, bobs_account
):
    theirs = ContactFactory(account=bobs_account, name="Rosa Quinn")
    response = admin_client.post(
        reverse("admin:relationships_interaction_add"),
        {
            "account": alices_account.pk,
            "occurred_on": "2026-03-02",
            "kind": "meeting",
            "participants": [theirs.pk],
            "notes": "",
            "signals-TOTAL_FORMS": "0",
            "signals-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Not contacts of Northwind Freight: Rosa Quinn." in response.content.decode()
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_admin_saves_an_interaction_with_its_signal(admin_client, alices_account):
    ours = ContactFactory(account=alices_account)
    planning = SignalType.objects.get(slug="invited_to_planning")
    response = admin_client.post(
        reverse("admin:relationships_interaction_add"),
        {
            "account": alices_account.pk,
            "occurred_on": "2026-03-02",
            "kind": "planning_session",
            "participants": [ours.pk],
            "notes": "Joined their planning day.",
            "signals-TOTAL_FORMS": "1",
            "signals-INITIAL_FORMS": "0",
            "signals-0-signal_type": planning.pk,
            "signals-0-observed_on": "2026-03-02",
        },
    )
    assert response.status_code == 302
    signal = alices_account.signals.get()
    assert signal.signal_type == planning
    assert signal.interaction.participants.get() == ours
