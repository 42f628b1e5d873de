"""What is due for whom: the Today panel's reminders, per role, and what people do with them."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountStatus
from reminders.selectors import Kind, inbox_for
from reminders.services import reminder_mark
from tests.factories import AccountFactory
from tests.reminders.conftest import TODAY, days_ago, lost, overdue_step

HTMX = {"HTTP_HX_REQUEST": "true"}


def _kinds(inbox) -> set[tuple[str, str]]:
    return {(r.kind.value, r.account_name) for r in inbox.reminders}


def test_a_manager_is_reminded_of_steps_silence_and_slips_on_their_own_active_accounts(
    alice, bob, alices_accounts
):
    overdue_step(bob, "Bluepeak Foods")  # Bob's, not Alice's

    inbox = inbox_for(alice, TODAY)

    assert _kinds(inbox) == {
        ("next_step", "Northwind Freight"),
        ("silent", "Harbor Mills"),
        ("stage_down", "Coastline Retail"),
        ("high_risk", "Coastline Retail"),
    }
    assert all(r.mine for r in inbox.reminders)
    step = next(r for r in inbox.reminders if r.kind is Kind.NEXT_STEP)
    assert step.text == "Send the benchmark study" and step.due_on == days_ago(3)
    silent = next(r for r in inbox.reminders if r.kind is Kind.SILENT)
    assert silent.text == "No contact for 30 days; usually every 10."
    assert not inbox.leads_team


def test_lost_accounts_remind_no_one(alice, lena):
    account = lost(alice)
    AccountFactory(
        owner=alice,
        status=AccountStatus.LOST,
        lost_on=days_ago(1),
        next_step="Old plan",
        next_step_due=days_ago(5),
    )
    assert inbox_for(alice, TODAY).reminders == []
    assert account.pk not in {r.account_id for r in inbox_for(lena, TODAY).reminders}


def test_a_step_due_later_is_not_due_yet(alice):
    overdue_step(alice, days=-1)
    assert inbox_for(alice, TODAY).reminders == []
    assert [r.kind for r in inbox_for(alice, TODAY + datetime.timedelta(days=1)).reminders] == [
        Kind.NEXT_STEP
    ]


def test_a_lead_gets_the_team_in_one_summary_and_the_accounts_with_no_next_step(
    alice, bob, lena, alices_accounts
):
    overdue_step(bob, "Bluepeak Foods")
    AccountFactory(name="Unplanned Co", owner=bob)

    inbox = inbox_for(lena, TODAY)

    assert inbox.leads_team and inbox.mine == []
    assert ("next_step", "Bluepeak Foods") in _kinds(inbox)
    assert ("silent", "Harbor Mills") in _kinds(inbox)
    assert ("stage_down", "Coastline Retail") in _kinds(inbox)
    assert ("no_next_step", "Unplanned Co") in _kinds(inbox)
    assert ("no_next_step", "Gone Ltd") not in _kinds(inbox)  # lost
    unplanned = next(r for r in inbox.team if r.account_name == "Unplanned Co")
    assert unplanned.owner_name == "Bob"
    # Managers are not told about accounts with no next step: their lead is.
    assert not any(r.kind is Kind.NO_NEXT_STEP for r in inbox_for(bob, TODAY).reminders)


def test_snoozing_hides_a_reminder_until_the_day_it_ends(alice):
    overdue_step(alice)
    (reminder,) = inbox_for(alice, TODAY).reminders

    reminder_mark(user=alice, key=reminder.key, action="snooze_week", today=TODAY)

    assert inbox_for(alice, TODAY).reminders == []
    assert inbox_for(alice, TODAY + datetime.timedelta(days=6)).reminders == []
    assert inbox_for(alice, TODAY + datetime.timedelta(days=7)).reminders != []


def test_done_and_dismissed_stay_gone_but_a_new_due_date_is_a_new_reminder(alice):
    account = overdue_step(alice)
    (reminder,) = inbox_for(alice, TODAY).reminders
    reminder_mark(user=alice, key=reminder.key, action="done", today=TODAY)
    assert inbox_for(alice, TODAY + datetime.timedelta(days=30)).reminders == []

    account.next_step_due = days_ago(1)
    account.save()
    (again,) = inbox_for(alice, TODAY).reminders
    reminder_mark(user=alice, key=again.key, action="dismiss", today=TODAY)
    assert inbox_for(alice, TODAY).reminders == []


def test_a_new_step_on_the_same_date_is_a_new_reminder(alice):
    account = overdue_step(alice)
    (reminder,) = inbox_for(alice, TODAY).reminders
    reminder_mark(user=alice, key=reminder.key, action="done", today=TODAY)

    account.next_step = "Book the quarterly review"
    account.save()

    (again,) = inbox_for(alice, TODAY).reminders
    assert again.text == "Book the quarterly review"


def test_a_dismissed_missing_step_comes_back_when_the_account_changes_and_still_has_none(lena):
    account = AccountFactory.create(name="Bluepeak Foods", next_step="", next_step_due=None)
    (reminder,) = [r for r in inbox_for(lena, TODAY).reminders if r.kind is Kind.NO_NEXT_STEP]
    reminder_mark(user=lena, key=reminder.key, action="dismiss", today=TODAY)
    assert not [r for r in inbox_for(lena, TODAY).reminders if r.kind is Kind.NO_NEXT_STEP]

    # Later a step is planned, done and cleared: the account has none again.
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    Account.objects.filter(pk=account.pk).update(updated_at=tomorrow)

    later = inbox_for(lena, TODAY + datetime.timedelta(days=1)).reminders
    assert [r.account_name for r in later if r.kind is Kind.NO_NEXT_STEP] == ["Bluepeak Foods"]


def test_the_today_panel_links_each_reminder_to_its_account_with_its_buttons(
    client, alice, alices_accounts
):
    client.force_login(alice)
    html = client.get(reverse("home")).content.decode()

    assert 'data-testid="today-panel"' in html
    step = alices_accounts["step"]
    assert f'href="{reverse("account-detail", args=[step.pk])}">Northwind Freight</a>' in html
    assert "Send the benchmark study" in html and "overdue since" in html
    for label in ("Done", "Snooze 1 day", "Snooze 1 week", "Dismiss"):
        assert f'aria-label="{label}: Northwind Freight">{label}</button>' in html
    assert 'data-testid="today-count">4<' in html


def test_the_buttons_work_without_javascript_and_in_place_with_htmx(client, alice):
    overdue_step(alice)
    overdue_step(alice, "Second Account")
    client.force_login(alice)
    first, second = inbox_for(alice, TODAY).reminders
    url = reverse("reminder-mark")

    response = client.post(url, {"key": first.key, "action": "snooze_day"})
    assert response.status_code == 302 and response.url == reverse("home")

    response = client.post(url, {"key": second.key, "action": "dismiss"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "Nothing due" in response.content.decode()
    assert response["HX-Trigger"] == '{"remindersChanged": {"count": 0}}'
    assert inbox_for(alice, TODAY).reminders == []


def test_nobody_marks_someone_elses_reminder_or_a_made_up_one(client, alice, bob):
    overdue_step(bob, "Bluepeak Foods")
    (bobs,) = inbox_for(bob, TODAY).reminders
    client.force_login(alice)
    url = reverse("reminder-mark")
    assert client.post(url, {"key": bobs.key, "action": "done"}).status_code == 404
    assert client.post(url, {"key": "x", "action": "done"}).status_code == 404
    assert client.post(url, {"key": bobs.key, "action": "explode"}).status_code == 404
    assert client.get(url).status_code == 405
    assert inbox_for(bob, TODAY).reminders == [bobs]


def test_a_long_list_shows_its_first_ten_and_says_how_many_more(client, alice):
    for n in range(13):
        overdue_step(alice, f"Account {n:02d}")
    client.force_login(alice)
    html = client.get(reverse("home")).content.decode()
    assert html.count('data-testid="reminder"') == 10
    assert "…and 3 more" in html and 'data-testid="today-count">13<' in html
