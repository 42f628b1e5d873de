"""A recompute chunk whose worker is gone is queued again by the running workers; one whose
accounts a transaction still holds (its worker alive but slow, or its machine gone and the
server not aware of it yet) is left alone, or the copy would only wait behind those locks,
holding up a worker of its own."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import Account
from scoring.jobs import recompute
from scoring.models import RecomputeJob
from scoring.selectors import profile_active
from tests.factories import AccountFactory
from tests.reliability.support import ON_POSTGRESQL, Running

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite has no row locks to hold"),
]


def test_a_chunk_whose_accounts_are_still_held_is_queued_again_only_once_they_are_let_go(
    alice, monkeypatch
):
    monkeypatch.setattr(recompute, "CHUNK", 2)
    accounts = [AccountFactory(owner=alice) for _ in range(2)]
    job = recompute.recompute_queue(profile=profile_active(), kind=RecomputeJob.Kind.FULL)
    chunk = DBTaskResult.objects.get(args_kwargs__args__0=job.pk)
    chunk.claim("gone-machine")
    later = timezone.now() + recompute.CHUNK_LOST_AFTER + datetime.timedelta(seconds=1)

    held, let_go = threading.Event(), threading.Event()

    def gone_machine() -> None:  # its session, still holding an account of the chunk
        with transaction.atomic():
            list(Account.objects.select_for_update(no_key=True).filter(pk=accounts[1].pk))
            held.set()
            let_go.wait(10)

    session = Running(gone_machine)
    assert held.wait(5)
    try:
        assert recompute.chunks_reclaim(now=later) == 0
        chunk.refresh_from_db()
        assert chunk.status == "RUNNING"
    finally:
        let_go.set()
        session.wait(10)

    assert recompute.chunks_reclaim(now=later) == 1
    assert DBTaskResult.objects.filter(args_kwargs__args__0=job.pk, status="READY").count() == 1
