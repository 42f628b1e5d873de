"""Logging, editing, deleting and undoing interactions, as an account manager does it."""

import datetime
import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relationships.models import AuditEntry, Interaction, SignalType, TrustSignal
from scoring.models import ScoreSnapshot
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InteractionFactory,
    TrustSignalFactory,
    UserFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


def _types(*slugs):
    return [SignalType.objects.get(slug=slug).pk for slug in slugs]


def _log(client, account, *, htmx=True, **fields):
    data = {"occurred_on": timezone.localdate().isoformat(), "kind": "meeting", "notes": ""}
    data.update(fields)
    return client.post(
        reverse("interaction-new", args=[account.pk]), data, **(HTMX if htmx else {})
    )


@pytest.fixture
def signed_in_alice(client, alice):
    client.force_login(alice)
    return client


def test_it_logs_a_meeting_with_signals_and_says_what_changed(signed_in_alice, alices_account):
    contact = ContactFactory(account=alices_account, name="Dana Reyes")
    response = _log(
        signed_in_alice,
        alices_account,
        participants=[contact.pk],
        notes="Quarterly plan",
        signals=_types("invited_to_planning", "early_notice_of_plans"),
    )

    assert response.status_code == 200
    assert "evidenceChanged" in json.loads(response["HX-Trigger"])
    assert response["HX-Retarget"] == "#log-panel"
    interaction = Interaction.objects.get(account=alices_account)
    assert interaction.logged_by.username == "alice"
    assert list(interaction.participants.all()) == [contact]
    assert sorted(interaction.signals.values_list("signal_type__slug", flat=True)) == [
        "early_notice_of_plans",
        "invited_to_planning",
    ]
    latest = ScoreSnapshot.objects.get(account=alices_account, is_latest=True)
    note = response.content.decode()
    assert f"First score: {latest.score:.0f}" in note
    assert AuditEntry.objects.get(account=alices_account).summary.endswith("2 signals")


def test_a_second_meeting_reports_the_move_from_the_earlier_standing(
    signed_in_alice, alices_account
):
    _log(signed_in_alice, alices_account, signals=_types("delivered_as_promised"))
    before = ScoreSnapshot.objects.get(account=alices_account, is_latest=True)

    response = _log(signed_in_alice, alices_account, signals=_types("invited_to_planning"))

    after = ScoreSnapshot.objects.get(account=alices_account, is_latest=True)
    assert after.score > before.score
    expected = f"score {before.score:.0f} → {after.score:.0f}"
    assert expected in response.content.decode()
    assert f"risk {before.decline_risk:.0f} → {after.decline_risk:.0f}" in response.content.decode()


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(signed_in_alice, alices_account):
    tomorrow_plus = timezone.localdate() + datetime.timedelta(days=5)
    response = _log(
        signed_in_alice,
        alices_account,
        occurred_on=tomorrow_plus.isoformat(),
        kind="séance",
        new_contact_name="Kim Ode",
        signals=_types("invited_to_planning"),
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "is in the future: log what has already happened." in html
    assert "Select a valid choice" in html
    assert "HX-Trigger" not in response
    assert not Interaction.objects.exists()
    assert not alices_account.contacts.exists()
    assert not TrustSignal.objects.exists()


def test_a_new_contact_can_be_added_while_logging(signed_in_alice, alices_account):
    _log(signed_in_alice, alices_account, new_contact_name="Kim Ode", new_contact_title="CFO")

    interaction = Interaction.objects.get()
    assert [(c.name, c.title) for c in interaction.participants.all()] == [("Kim Ode", "CFO")]


def test_logging_works_without_javascript(signed_in_alice, alices_account):
    page = signed_in_alice.get(reverse("interaction-new", args=[alices_account.pk]))
    assert b"<html" in page.content and b"Log a meeting" in page.content

    response = _log(signed_in_alice, alices_account, htmx=False)

    assert response.status_code == 302
    follow = signed_in_alice.get(response["Location"])
    assert "Logged — First score" in follow.content.decode()


def test_only_the_accounts_managers_may_log(client, alices_account, bob, lena):
    client.force_login(bob)
    assert _log(client, alices_account).status_code == 404
    client.force_login(lena)  # a sales lead reads every account but logs on none of them
    assert client.get(reverse("account-detail", args=[alices_account.pk])).status_code == 200
    assert _log(client, alices_account).status_code == 403
    assert not Interaction.objects.exists()


def test_a_manager_the_account_is_shared_with_may_log(client, alices_account, bob):
    alices_account.shared_with.add(bob)
    client.force_login(bob)
    assert _log(client, alices_account).status_code == 200
    assert Interaction.objects.get().logged_by == bob


def test_editing_keeps_an_audit_diff(signed_in_alice, alices_account):
    interaction = InteractionFactory(account=alices_account, notes="first draft")
    url = reverse("interaction-edit", args=[interaction.pk])
    version = interaction.updated_at.isoformat()

    response = signed_in_alice.post(
        url,
        {
            "occurred_on": "2026-03-02",
            "kind": "workshop",
            "notes": "final notes",
            "version": version,
            "signals": _types("strategy_advice_requested"),
        },
        **HTMX,
    )

    assert "Saved —" in response.content.decode()
    interaction.refresh_from_db()
    assert (interaction.kind, interaction.notes) == ("workshop", "final notes")
    entry = AuditEntry.objects.get(action="edited")
    assert entry.changes["kind"] == ["Meeting", "Workshop"]
    assert entry.changes["notes"] == ["first draft", "final notes"]
    assert entry.changes["signals"] == ["", "Strategy advice requested"]


def test_a_stale_edit_is_refused_instead_of_overwriting(signed_in_alice, alices_account):
    interaction = InteractionFactory(account=alices_account, notes="original")
    seen = interaction.updated_at.isoformat()
    # Meanwhile, the same entry is changed in another tab.
    Interaction.objects.filter(pk=interaction.pk).update(
        notes="changed elsewhere", updated_at=timezone.now() + datetime.timedelta(seconds=1)
    )

    response = signed_in_alice.post(
        reverse("interaction-edit", args=[interaction.pk]),
        {"occurred_on": "2026-03-02", "kind": "meeting", "notes": "mine", "version": seen},
        **HTMX,
    )

    assert "changed by someone else since you opened it" in response.content.decode()
    interaction.refresh_from_db()
    assert interaction.notes == "changed elsewhere"
    assert not AuditEntry.objects.filter(action="edited").exists()


def test_only_the_author_may_change_an_entry(client, alices_account, bob):
    alices_account.shared_with.add(bob)
    interaction = InteractionFactory(account=alices_account)  # logged by Alice
    client.force_login(bob)
    assert client.get(reverse("interaction-edit", args=[interaction.pk])).status_code == 403
    assert client.post(reverse("interaction-delete", args=[interaction.pk])).status_code == 403
    assert Interaction.objects.filter(pk=interaction.pk).exists()


def test_delete_asks_first_then_deletes_and_undo_brings_everything_back(
    signed_in_alice, alices_account
):
    contact = ContactFactory(account=alices_account)
    _log(
        signed_in_alice,
        alices_account,
        participants=[contact.pk],
        signals=_types("invited_to_planning", "delivery_miss"),
    )
    interaction = Interaction.objects.get()
    scored = ScoreSnapshot.objects.get(account=alices_account, is_latest=True).score
    url = reverse("interaction-delete", args=[interaction.pk])

    confirm = signed_in_alice.get(url, **HTMX)
    assert "and the signals logged with it?" in confirm.content.decode()
    assert Interaction.objects.exists()

    deleted = signed_in_alice.post(url, **HTMX)
    assert "Undo" in deleted.content.decode()
    assert not Interaction.objects.exists() and not TrustSignal.objects.exists()
    entry = AuditEntry.objects.get(action="deleted")

    signed_in_alice.post(reverse("interaction-undo", args=[entry.pk]), **HTMX)

    restored = Interaction.objects.get()
    assert restored.pk == interaction.pk
    assert list(restored.participants.all()) == [contact]
    assert restored.signals.count() == 2
    assert ScoreSnapshot.objects.get(account=alices_account, is_latest=True).score == scored
    assert AuditEntry.objects.filter(action="restored").exists()


def test_undo_is_refused_after_the_window_or_to_someone_else(
    client, signed_in_alice, alices_account, bob
):
    interaction = InteractionFactory(account=alices_account)
    signed_in_alice.post(reverse("interaction-delete", args=[interaction.pk]), **HTMX)
    entry = AuditEntry.objects.get(action="deleted")
    AuditEntry.objects.filter(pk=entry.pk).update(
        at=timezone.now() - datetime.timedelta(minutes=16)
    )

    late = signed_in_alice.post(reverse("interaction-undo", args=[entry.pk]), **HTMX)

    assert "can be undone for 15 minutes" in late.content.decode()
    assert not Interaction.objects.exists()
    stranger = UserFactory(username="mallory")
    client.force_login(stranger)
    assert client.post(reverse("interaction-undo", args=[entry.pk])).status_code == 404


def test_retired_signal_types_are_not_offered_for_new_entries(signed_in_alice, alices_account):
    SignalType.objects.filter(slug="price_pressure").update(is_active=False)
    page = signed_in_alice.get(reverse("interaction-new", args=[alices_account.pk]), **HTMX)
    html = page.content.decode()
    assert "Invited to planning" in html
    assert "Price pressure" not in html


def test_another_account_cannot_be_reached_through_an_entry(client, bob, alices_account):
    interaction = InteractionFactory(account=alices_account)
    AccountFactory(owner=bob)
    client.force_login(bob)
    assert client.get(reverse("interaction-edit", args=[interaction.pk])).status_code == 404


def test_htmx_posts_carry_the_csrf_token_from_the_page(alice, alices_account):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    page = browser.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    # base.html puts the token in hx-headers on <body>, so every htmx request sends it.
    start = page.index('"X-CSRFToken": "') + len('"X-CSRFToken": "')
    token = page[start : page.index('"', start)]
    url = reverse("interaction-new", args=[alices_account.pk])
    data = {"occurred_on": timezone.localdate().isoformat(), "kind": "call"}

    refused = browser.post(url, data, **HTMX)
    accepted = browser.post(url, data, HTTP_X_CSRFTOKEN=token, **HTMX)

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert Interaction.objects.count() == 1


def _chip_order(html: str) -> list[str]:
    """The signal types' ids in the order the log form lists them."""
    return re.findall(r'name="signals" value="(\d+)"', html)


def test_the_most_used_signals_come_first_and_only_the_top_categories_open(
    signed_in_alice, alices_account
):
    cache.clear()  # the usage count is kept for an hour
    today = timezone.localdate()
    for slug, times in (("price_pressure", 3), ("repeat_business", 1), ("escalation", 2)):
        for _ in range(times):
            TrustSignalFactory(
                account=alices_account,
                signal_type=SignalType.objects.get(slug=slug),
                observed_on=today - datetime.timedelta(days=10),
            )
    # Logged more than a year ago: does not count.
    for _ in range(9):
        TrustSignalFactory(
            account=alices_account,
            signal_type=SignalType.objects.get(slug="delivery_miss"),
            observed_on=today - datetime.timedelta(days=400),
        )

    html = signed_in_alice.get(
        reverse("interaction-new", args=[alices_account.pk]), **HTMX
    ).content.decode()

    # Commercial climate (price pressure 3, repeat business 1) before Governance (escalation
    # 2), the most used type first within its category; the rest in the catalog's order.
    order = [SignalType.objects.get(pk=pk).slug for pk in _chip_order(html)]
    commercial = ["price_pressure", "repeat_business"]
    assert order[: len(commercial)] == commercial
    assert order.index("escalation") < order.index("delivered_as_promised")
    groups = re.findall(r'<details class="signal-group" data-testid="signal-group"( open)?>', html)
    assert [bool(is_open) for is_open in groups] == [True] * 3 + [False] * (len(groups) - 3)
    assert "<summary>Commercial climate" in html.split('class="signal-group"')[1]


def test_a_closed_category_holding_a_ticked_signal_opens(signed_in_alice, alices_account):
    cache.clear()
    last = SignalType.objects.order_by("-category").first()  # far from the top three
    response = _log(signed_in_alice, alices_account, occurred_on="2999-01-01", signals=[last.pk])
    html = response.content.decode()
    ticked = html.index(f'value="{last.pk}" checked')
    opening = html.rindex('<details class="signal-group"', 0, ticked)
    assert html[opening:ticked].startswith(
        '<details class="signal-group" data-testid="signal-group" open>'
    )


def test_each_signal_says_whether_it_builds_or_erodes_trust_in_words(
    signed_in_alice, alices_account
):
    html = signed_in_alice.get(
        reverse("interaction-new", args=[alices_account.pk]), **HTMX
    ).content.decode()
    chips = html.split('class="chip-toggle ')[1:]
    assert len(chips) == SignalType.objects.filter(is_active=True).count()
    for chip in chips:
        colour = chip.split('"')[0]
        words = {"positive": "builds trust", "negative": "erodes trust"}[colour]
        assert f'<span class="visually-hidden">{words}: </span>' in chip


def test_editing_an_entry_keeps_its_retired_signal_type_on_offer(signed_in_alice, alices_account):
    retired = SignalType.objects.get(slug="price_pressure")
    _log(signed_in_alice, alices_account, signals=[retired.pk])
    interaction = Interaction.objects.get(account=alices_account)
    retired.is_active = False
    retired.save()

    html = signed_in_alice.get(
        reverse("interaction-edit", args=[interaction.pk]), **HTMX
    ).content.decode()

    assert f'value="{retired.pk}" checked' in html


def test_nothing_new_is_logged_on_a_lost_account(signed_in_alice, alices_account):
    alices_account.status, alices_account.lost_on = "lost", timezone.localdate()
    alices_account.save()
    page = signed_in_alice.get(reverse("account-detail", args=[alices_account.pk]))
    assert "Log a meeting" not in page.content.decode()

    response = _log(signed_in_alice, alices_account, htmx=False, notes="After the loss")
    assert response.status_code == 302
    assert response["Location"] == reverse("account-detail", args=[alices_account.pk])
    htmx = _log(signed_in_alice, alices_account, notes="After the loss")
    assert htmx["HX-Redirect"] == reverse("account-detail", args=[alices_account.pk])
    assert not Interaction.objects.exists()


def test_the_timeline_says_how_a_meeting_felt_in_words(signed_in_alice, alices_account):
    InteractionFactory(account=alices_account, sentiment=-1)
    html = signed_in_alice.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert '<span class="tag">felt −1 tense</span>' in html
