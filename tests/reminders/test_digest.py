"""The digest by email: what each role reads, sent once per person and day, as each person
chose, through a real SMTP server on loopback."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reminders.digest import digest_send
from reminders.models import DigestSent, ReminderPreference
from reminders.selectors import inbox_for
from reminders.services import reminder_mark
from tests.reminders.conftest import TODAY, overdue_step
from tests.reminders.smtp import parts

ROOT = Path(__file__).resolve().parents[2]
# A Monday and a Tuesday, for the weekly digest.
MONDAY = TODAY - datetime.timedelta(days=TODAY.weekday())
TUESDAY = MONDAY + datetime.timedelta(days=1)


def test_a_manager_gets_one_plain_and_html_email_about_their_own_accounts(
    smtp_server, alice, bob, alices_accounts
):
    report = digest_send(day=TODAY)

    assert report.sent == ["alice"] and "bob" in report.nothing_to_say
    (message,) = smtp_server.to("alice@example.com")
    assert message["From"] == "reminders@crm.example.com"
    assert message["Subject"].startswith("4 reminders for ")
    text, html = parts(message)["text/plain"], parts(message)["text/html"]
    step_url = (
        f"https://crm.example.com{reverse('account-detail', args=[alices_accounts['step'].pk])}"
    )
    for body in (text, html):
        assert "Northwind Freight" in body and "Send the benchmark study" in body
        assert "Harbor Mills" in body and "No contact for 30 days" in body
        assert "Coastline Retail" in body and "From Consultant to Confidant" in body
        assert step_url in body
        assert "Gone Ltd" not in body  # lost
        assert "YOUR TEAM" not in body.upper()
    assert f'<a href="{step_url}">Northwind Freight</a>' in html
    assert "https://crm.example.com/settings/reminders/" in text


def test_a_lead_gets_the_team_summary_with_owners_and_accounts_without_a_plan(
    smtp_server, alice, bob, lena, alices_accounts
):
    overdue_step(bob, "Bluepeak Foods")

    digest_send(day=TODAY)

    (message,) = smtp_server.to("lena@example.com")
    text = parts(message)["text/plain"]
    assert "YOUR TEAM" in text and "YOUR ACCOUNTS" not in text
    assert "Bluepeak Foods (Bob): Send the benchmark study" in text
    assert "Next steps due (2)" in text
    assert "No next step planned" not in text  # every account here has one
    assert len(smtp_server.to("alice@example.com")) == 1
    assert len(smtp_server.to("bob@example.com")) == 1


def test_nobody_gets_an_email_when_nothing_is_due(smtp_server, alice, bob):
    report = digest_send(day=TODAY)
    assert smtp_server.messages == [] and report.sent == []
    assert not DigestSent.objects.exists()


def test_running_twice_for_the_same_day_sends_nothing_new(smtp_server, alice, alices_accounts):
    call_command("send_reminders", "--date", TODAY.isoformat(), verbosity=0)
    call_command("send_reminders", "--date", TODAY.isoformat(), verbosity=0)
    digest_send(day=TODAY)

    assert len(smtp_server.to("alice@example.com")) == 1
    assert DigestSent.objects.get(user=alice).on == TODAY
    # The next day is another digest.
    digest_send(day=TODAY + datetime.timedelta(days=1))
    assert len(smtp_server.to("alice@example.com")) == 2


def test_a_dry_run_says_who_would_get_one_and_sends_nothing(
    smtp_server, alice, alices_accounts, capsys
):
    call_command("send_reminders", "--dry-run")
    assert "Would send 1 digest(s)" in capsys.readouterr().out
    assert smtp_server.messages == [] and not DigestSent.objects.exists()


def test_a_bad_date_is_refused_in_words():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "31/12/2026")


def test_off_sends_nothing_and_weekly_sends_on_mondays_only(
    smtp_server, alice, bob, alices_accounts
):
    overdue_step(bob, "Bluepeak Foods")
    ReminderPreference.objects.create(user=alice, frequency="weekly", hour=7)
    ReminderPreference.objects.create(user=bob, frequency="off", hour=7)

    assert digest_send(day=TUESDAY).sent == []
    assert digest_send(day=MONDAY).sent == ["alice"]
    assert smtp_server.to("bob@example.com") == []


def test_the_worker_sends_each_person_at_their_hour(smtp_server, alice, bob, alices_accounts):
    overdue_step(bob, "Bluepeak Foods")
    ReminderPreference.objects.create(user=bob, frequency="daily", hour=18)

    assert digest_send(day=TODAY, hour=6).sent == []
    assert digest_send(day=TODAY, hour=7).sent == ["alice"]  # the default hour
    assert digest_send(day=TODAY, hour=17).sent == []
    assert digest_send(day=TODAY, hour=18).sent == ["bob"]


def test_a_digest_missed_while_no_worker_ran_goes_out_with_the_next_run(
    smtp_server, alice, alices_accounts
):
    # No worker at 7 (Alice's hour) or 8; one is back at 9.
    assert digest_send(day=TODAY, hour=9).sent == ["alice"]
    assert len(smtp_server.to("alice@example.com")) == 1


def test_what_was_dealt_with_is_left_out_and_slips_are_counted_from_the_last_digest(
    smtp_server, alice, alices_accounts
):
    step = next(r for r in inbox_for(alice, TODAY).reminders if r.kind.value == "next_step")
    reminder_mark(user=alice, key=step.key, action="snooze_day", today=TODAY)
    digest_send(day=TODAY)
    (message,) = smtp_server.to("alice@example.com")
    assert "Northwind Freight" not in parts(message)["text/plain"]

    # A week later the slip of this week is no longer news.
    later = TODAY + datetime.timedelta(weeks=1)
    kinds = {r.kind.value for r in inbox_for(alice, later).reminders}
    assert "stage_down" not in kinds


def test_a_refused_message_is_not_logged_so_the_next_run_sends_it(
    smtp_server, alice, alices_accounts, settings
):
    settings.EMAIL_PORT = 1  # nothing listens there
    report = digest_send(day=TODAY)
    assert report.failed == ["alice"] and not DigestSent.objects.exists()
    with pytest.raises(CommandError, match="alice"):
        call_command("send_reminders", verbosity=0)


def _email_settings(env_update: dict[str, str]) -> list[str]:
    """The email settings a fresh process reads from this environment."""
    names = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "DEFAULT_FROM_EMAIL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DJANGO_"))}
    env.update(env_update, DJANGO_SETTINGS_MODULE="config.settings")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(*[getattr(settings, name) for name in {names!r}], settings.SITE_URL, sep='|')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip().split("|")


def test_the_demo_prints_email_to_the_console_and_production_takes_smtp_from_the_environment():
    assert _email_settings({"DJANGO_DEBUG": "1"})[0] == (
        "django.core.mail.backends.console.EmailBackend"
    )
    production = _email_settings(
        {
            "EMAIL_HOST": "smtp.example.com",
            "EMAIL_PORT": "587",
            "EMAIL_USE_TLS": "1",
            "DEFAULT_FROM_EMAIL": "crm@example.com",
            "SITE_URL": "https://crm.example.com",
        }
    )
    assert production == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "587",
        "True",
        "crm@example.com",
        "https://crm.example.com",
    ]


def test_a_long_digest_lists_twenty_of_a_kind_and_says_how_many_more(smtp_server, alice):
    for n in range(23):
        overdue_step(alice, f"Account {n:02d}")
    digest_send(day=TODAY)
    (message,) = smtp_server.to("alice@example.com")
    text = parts(message)["text/plain"]
    assert text.count("- Account ") == 20 and "...and 3 more in the app." in text
    assert "…and 3 more" in parts(message)["text/html"]


def test_one_persons_reminders_failing_to_compute_does_not_stop_the_others(
    smtp_server, alice, bob, alices_accounts, monkeypatch
):
    """Bad data behind one person's reminders: they are reported as failed, the rest are
    sent."""
    overdue_step(bob, "Bluepeak Foods")

    def inbox_failing_for_alice(user, day, **kwargs):
        if user == alice:
            raise ValueError("a record the reminders cannot read")
        return inbox_for(user, day, **kwargs)

    monkeypatch.setattr("reminders.digest.inbox_for", inbox_failing_for_alice)
    report = digest_send(day=TODAY)

    assert report.failed == ["alice"] and report.sent == ["bob"]
    assert len(smtp_server.to("bob@example.com")) == 1
    assert smtp_server.to("alice@example.com") == []
