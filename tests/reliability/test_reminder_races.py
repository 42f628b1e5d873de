"""Several workers at the same moment: each hour's digest is claimed by one of them, and each
person gets one digest a day, through real threads on PostgreSQL and a real SMTP server."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from reminders.digest import digest_send
from reminders.models import DigestRun, DigestSent
from reminders.worker import schedule_tick
from tests.factories import AccountFactory, UserFactory
from tests.reliability.support import ON_POSTGRESQL, run_together
from tests.reminders.smtp import smtp_listening

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRESQL, reason="concurrent writers need PostgreSQL"),
    pytest.mark.django_db(transaction=True),  # the threads must see each other's commits
]


def test_workers_reaching_the_same_hour_together_queue_one_digest_run():
    seven = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(7, 0, 5))
    )
    outcomes = run_together(
        *[lambda n=n: schedule_tick(now=seven, name=f"worker-{n}") for n in range(4)]
    )
    assert sorted(outcome.result for outcome in outcomes) == [False, False, False, True]
    assert DigestRun.objects.count() == 1


def test_two_digest_runs_at_once_send_each_person_one_email(settings, migrated_rows):
    today = timezone.localdate()
    people = [UserFactory(username=f"manager{n}") for n in range(5)]
    for person in people:
        AccountFactory(owner=person, next_step="Call", next_step_due=today)
    with smtp_listening(settings) as inbox:
        outcomes = run_together(
            lambda: digest_send(day=today), lambda: digest_send(day=today), timeout=30
        )
    first, second = outcomes
    assert first.started < second.finished and second.started < first.finished  # overlapped
    sent = sorted(name for outcome in outcomes for name in outcome.result.sent)
    assert sent == sorted(person.username for person in people)
    for person in people:
        assert len(inbox.to(person.email)) == 1, person.username
    assert DigestSent.objects.count() == len(people)
