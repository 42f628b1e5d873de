"""A contact leaves the client: for the champion or the executive sponsor that is scored as a
warning sign (docs/model.md, Decline risk), once, and the manager is told what it did to the
standing."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from relationships.models import AuditEntry, SignalType, TrustSignal
from scoring.models import ScoreSnapshot
from scoring.services import account_rescore
from tests.factories import ContactFactory, InteractionFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def signed_in_alice(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def active_account(alices_account):
    """An account with a few recent meetings, so it has a standing to lose."""
    today = timezone.localdate()
    for weeks in (1, 3, 5, 7):
        InteractionFactory(
            account=alices_account, occurred_on=today - datetime.timedelta(weeks=weeks)
        )
    account_rescore(account_id=alices_account.pk)
    return alices_account


def _leave(client, contact, day, **headers):
    return client.post(
        reverse("contact-left", args=[contact.pk]), {"left_on": day.isoformat()}, **headers
    )


def _latest(account):
    return ScoreSnapshot.objects.get(account=account, is_latest=True)


def _gone(account):
    return TrustSignal.objects.filter(account=account, signal_type__slug="champion_left")


def test_the_champion_leaving_raises_decline_risk_and_says_so(signed_in_alice, active_account):
    champion = ContactFactory(
        account=active_account, name="Dana Reyes", title="COO", is_champion=True
    )
    before = _latest(active_account)
    risk_before = before.decline_risk
    assert "warnings" not in {key for key, *_ in before.risk_drivers}
    day = timezone.localdate() - datetime.timedelta(days=2)

    response = _leave(signed_in_alice, champion, day, **HTMX)

    signal = _gone(active_account).get()
    assert (signal.observed_on, signal.interaction, signal.logged_by.username) == (
        day,
        None,
        "alice",
    )
    assert signal.note == "Dana Reyes, COO, our champion, left the client."
    after = _latest(active_account)
    assert after.decline_risk > risk_before
    warning = next(detail for key, _, detail in after.risk_drivers if key == "warnings")
    assert warning == "champion left this week"
    page = response.content.decode()
    assert "Dana Reyes marked as gone — score" in page
    assert f"risk {risk_before:.0f} → {after.decline_risk:.0f}" in page
    assert "evidenceChanged" in json.loads(response["HX-Trigger"])
    assert AuditEntry.objects.get(subject="contact").summary == (
        f"Dana Reyes left the client on {day:%d %b %Y} (Champion left recorded)"
    )
    # The timeline shows why the score moved.
    timeline = signed_in_alice.get(reverse("account-detail", args=[active_account.pk]))
    assert "our champion, left the client." in timeline.content.decode()


def test_the_executive_sponsor_leaving_counts_too(signed_in_alice, active_account):
    sponsor = ContactFactory(account=active_account, name="Ola Berg", role="executive_sponsor")

    response = _leave(signed_in_alice, sponsor, timezone.localdate())

    assert _gone(active_account).get().note == "Ola Berg, our executive sponsor, left the client."
    assert response.status_code == 302
    page = signed_in_alice.get(response["Location"]).content.decode()
    assert "Ola Berg marked as gone — score" in page


def test_an_ordinary_contact_leaving_changes_no_score(signed_in_alice, active_account):
    user = ContactFactory(account=active_account, name="Sam Lee", role="user")
    before = _latest(active_account)

    response = _leave(signed_in_alice, user, timezone.localdate(), **HTMX)

    assert not _gone(active_account).exists()
    assert (_latest(active_account).score, _latest(active_account).decline_risk) == (
        before.score,
        before.decline_risk,
    )
    assert "Sam Lee marked as gone." in response.content.decode()
    assert "evidenceChanged" not in json.loads(response["HX-Trigger"])


def test_a_departure_already_logged_at_a_meeting_is_not_counted_twice(
    signed_in_alice, active_account
):
    today = timezone.localdate()
    meeting = InteractionFactory(
        account=active_account, occurred_on=today - datetime.timedelta(days=10)
    )
    TrustSignal.objects.create(
        account=active_account,
        signal_type=SignalType.objects.get(slug="champion_left"),
        observed_on=meeting.occurred_on,
        interaction=meeting,
    )
    champion = ContactFactory(account=active_account, is_champion=True)

    _leave(signed_in_alice, champion, today, **HTMX)

    assert _gone(active_account).count() == 1
    champion.refresh_from_db()
    assert champion.left_on == today


def test_a_retired_signal_type_is_not_recorded(signed_in_alice, active_account):
    SignalType.objects.filter(slug="champion_left").update(is_active=False)
    champion = ContactFactory(account=active_account, is_champion=True)

    _leave(signed_in_alice, champion, timezone.localdate(), **HTMX)

    assert not _gone(active_account).exists()
    champion.refresh_from_db()
    assert champion.left_on == timezone.localdate()


def test_a_refused_date_changes_nothing(signed_in_alice, active_account):
    champion = ContactFactory(account=active_account, is_champion=True)

    response = _leave(
        signed_in_alice, champion, timezone.localdate() + datetime.timedelta(days=1), **HTMX
    )

    assert "That date is in the future." in response.content.decode()
    assert not _gone(active_account).exists()
    champion.refresh_from_db()
    assert champion.left_on is None
