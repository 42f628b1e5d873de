"""Accounts in the states reminders are about, for Alice (a manager), Bob (another) and Lena
(their lead)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.utils import timezone

from accounts.models import Account, AccountStatus
from scoring.engine.curve import week_ending
from scoring.models import ScoreSnapshot
from scoring.selectors import profile_active
from tests.factories import AccountFactory, InteractionFactory
from tests.reminders.smtp import Inbox as SmtpInbox
from tests.reminders.smtp import smtp_listening

TODAY = timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def snapshot(account: Account, *, weeks_ago: int, stage: str, risk: float, latest: bool = False):
    """The account's standing `weeks_ago` weeks before the current week."""
    return ScoreSnapshot.objects.create(
        account=account,
        profile=profile_active(),
        week_ending=week_ending(TODAY) - datetime.timedelta(weeks=weeks_ago),
        score=50,
        stage=stage,
        decline_risk=risk,
        is_latest=latest,
    )


def overdue_step(owner, name: str = "Northwind Freight", *, days: int = 3) -> Account:
    return AccountFactory.create(
        name=name, owner=owner, next_step="Send the benchmark study", next_step_due=days_ago(days)
    )


def gone_quiet(owner, name: str = "Harbor Mills") -> Account:
    """Contact every 10 days, then 30 days of silence."""
    account = AccountFactory.create(
        name=name, owner=owner, next_step="Plan the review", next_step_due=days_ago(-30)
    )
    for days in (50, 40, 30):
        InteractionFactory(account=account, occurred_on=days_ago(days))
    return account


def slipped(owner, name: str = "Coastline Retail") -> Account:
    """Down from consultant to confidant, and into the high risk band, this week."""
    account = AccountFactory.create(
        name=name, owner=owner, next_step="Call the COO", next_step_due=days_ago(-20)
    )
    snapshot(account, weeks_ago=2, stage="consultant", risk=20)
    snapshot(account, weeks_ago=1, stage="consultant", risk=20)
    snapshot(account, weeks_ago=0, stage="confidant", risk=80, latest=True)
    return account


def lost(owner, name: str = "Gone Ltd") -> Account:
    return AccountFactory.create(
        name=name,
        owner=owner,
        status=AccountStatus.LOST,
        lost_on=days_ago(10),
    )


@pytest.fixture
def alices_accounts(alice):
    return {
        "step": overdue_step(alice),
        "quiet": gone_quiet(alice),
        "slipped": slipped(alice),
        "lost": lost(alice),
    }


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpInbox]:
    """Django's SMTP backend pointed at a real server on loopback for this test."""
    with smtp_listening(settings) as inbox:
        yield inbox
