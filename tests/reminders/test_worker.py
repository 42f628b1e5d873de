"""The worker schedules the digest itself, once per hour across workers, beats a heartbeat,
and says so when it stops: a banner for leads and admins, and /healthz/worker for monitors."""

from __future__ import annotations

import datetime
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from reminders.models import DigestRun, WorkerStatus
from reminders.worker import (
    STALE_AFTER,
    Scheduler,
    digest_slot_claim,
    heartbeat_write,
    hour_slot,
    schedule_tick,
    tasks_prune,
)
from tests.conftest import work_the_queue
from tests.reminders.conftest import overdue_step


def _at_hour(hour: int) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(hour, 20))
    )


def test_two_workers_in_the_same_hour_send_each_digest_once(smtp_server, alice, bob):
    overdue_step(alice)
    overdue_step(bob, "Bluepeak Foods")

    first = schedule_tick(now=_at_hour(7), name="worker-a")
    second = schedule_tick(now=_at_hour(7) + datetime.timedelta(seconds=30), name="worker-b")
    work_the_queue()

    assert (first, second) == (True, False)
    assert len(smtp_server.to("alice@example.com")) == 1
    assert len(smtp_server.to("bob@example.com")) == 1
    run = DigestRun.objects.get()
    assert run.claimed_by == "worker-a" and run.status == "done" and run.sent == 2


def test_a_digest_that_could_not_be_queued_leaves_the_hour_to_the_next_beat(
    smtp_server, alice, monkeypatch
):
    """The queue refusing the task (the database gone for a moment) must not leave the hour
    claimed by no one's task: the next beat claims and queues it, and the digest goes out."""
    overdue_step(alice)

    def queue_refused(*args, **kwargs):
        raise RuntimeError("the queue is unreachable")

    with monkeypatch.context() as patched:
        patched.setattr("reminders.worker.digest_hour_run", SimpleNamespace(enqueue=queue_refused))
        with pytest.raises(RuntimeError):
            schedule_tick(now=_at_hour(23), name="worker-a")
    assert not DigestRun.objects.exists()

    assert schedule_tick(now=_at_hour(23) + datetime.timedelta(seconds=30), name="worker-a")
    work_the_queue()
    assert len(smtp_server.to("alice@example.com")) == 1


@pytest.mark.django_db
def test_a_slot_is_claimed_once_and_the_next_hour_is_another_slot():
    slot = hour_slot(_at_hour(9))
    assert slot.minute == 0 and slot.hour == 9
    assert digest_slot_claim(slot=slot, name="a") is True
    assert digest_slot_claim(slot=slot, name="b") is False
    assert digest_slot_claim(slot=hour_slot(_at_hour(10)), name="b") is True


def test_a_failed_run_is_recorded_and_shown(smtp_server, settings, alice, client, lena):
    overdue_step(alice)
    settings.EMAIL_PORT = 1  # nothing listens there
    schedule_tick(now=_at_hour(7), name="worker-a")
    work_the_queue()

    run = DigestRun.objects.get()
    assert run.status == "failed" and "of the people due" in run.error
    assert "alice" not in run.error
    # The worker is still alive, beating now (the tick above beat at 07:20 today): the banner
    # is about the digest, not a stale worker, whatever the time the test runs.
    heartbeat_write(name="worker-a")
    client.force_login(lena)
    html = client.get(reverse("home")).content.decode()
    assert "The last reminder digest failed" in html and "send_reminders" in html
    # A monitor, signed in or not, learns that it failed, not who was due.
    client.logout()
    response = client.get("/healthz/worker")
    assert response.status_code == 503 and response.content == b"digest failed\n"
    assert b"alice" not in response.content


def test_a_stale_heartbeat_shows_a_banner_to_leads_and_admins_only(client, alice, lena, sam):
    heartbeat_write(now=timezone.now() - STALE_AFTER - datetime.timedelta(seconds=1))
    for user, banner in ((lena, True), (sam, True), (alice, False)):
        client.force_login(user)
        html = client.get(reverse("home")).content.decode()
        assert ('data-testid="worker-banner"' in html) is banner, user
        if banner:
            assert "manage.py run_worker" in html
            assert "last seen" in html


def test_no_worker_ever_is_said_too(client, lena):
    client.force_login(lena)
    html = client.get(reverse("reminder-settings")).content.decode()
    assert "No background worker has ever run" in html


def test_a_fresh_heartbeat_shows_no_banner_and_healthz_worker_says_ok(client, lena):
    heartbeat_write()
    client.force_login(lena)
    assert 'data-testid="worker-banner"' not in client.get(reverse("home")).content.decode()
    client.logout()
    response = client.get("/healthz/worker")
    assert response.status_code == 200 and response.content == b"ok\n"


@pytest.mark.django_db
def test_healthz_worker_answers_503_when_stale_for_a_monitor_without_signing_in(client):
    response = client.get("/healthz/worker")
    assert response.status_code == 503 and response.content == b"worker stale\n"
    heartbeat_write(now=timezone.now() - datetime.timedelta(minutes=6))
    assert client.get("/healthz/worker").status_code == 503
    heartbeat_write(now=timezone.now() - datetime.timedelta(minutes=4))
    assert client.get("/healthz/worker").status_code == 200
    # The web process's own liveness stays apart from the worker's.
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_the_scheduler_thread_beats_until_stopped():
    with mock.patch("reminders.worker.close_old_connections"):
        scheduler = Scheduler(interval=0.01, reclaim_every=60, prune_every=60)
        with (
            mock.patch("reminders.worker.schedule_tick") as tick,
            mock.patch("reminders.worker.capture_syncs_queue") as syncs,
            mock.patch("reminders.worker.chunks_reclaim") as reclaim,
            mock.patch("reminders.worker.tasks_prune") as prune,
        ):
            scheduler.start()
            deadline = time.monotonic() + 5
            while tick.call_count < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            scheduler.stop()
            scheduler.join(timeout=2)
    assert tick.call_count >= 3 and not scheduler.is_alive()
    # Calendars due are looked for at every beat; lost recompute chunks and old tasks at the
    # first beat, then once a minute here (every RECLAIM_SECONDS and every day in a worker).
    assert syncs.call_count >= 3 and reclaim.call_count == prune.call_count == 1
    assert WorkerStatus.objects.count() == 0  # the tick was a stand-in


@pytest.mark.django_db
def test_the_queue_forgets_tasks_finished_a_month_ago_and_never_one_waiting_or_running():
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    tasks = {}
    for name in ("done long ago", "failed long ago", "done lately", "waiting", "running"):
        tasks[name] = DBTaskResult.objects.get(pk=digest_hour_run_enqueued(name))
    month = datetime.timedelta(days=31)
    DBTaskResult.objects.filter(pk=tasks["done long ago"].pk).update(
        status="SUCCESSFUL", finished_at=now - month
    )
    DBTaskResult.objects.filter(pk=tasks["failed long ago"].pk).update(
        status="FAILED", finished_at=now - month
    )
    DBTaskResult.objects.filter(pk=tasks["done lately"].pk).update(
        status="SUCCESSFUL", finished_at=now - datetime.timedelta(days=3)
    )
    DBTaskResult.objects.filter(pk=tasks["running"].pk).update(
        status="RUNNING", started_at=now - month
    )

    assert tasks_prune(now=now) == 2
    ours = DBTaskResult.objects.filter(pk__in=[task.pk for task in tasks.values()])
    left = set(ours.values_list("pk", flat=True))
    assert left == {tasks[name].pk for name in ("done lately", "waiting", "running")}


def digest_hour_run_enqueued(label: str):
    """A task in the queue (a digest run; what it is does not matter here): its id."""
    from reminders.worker import digest_hour_run

    return digest_hour_run.enqueue(label).id
