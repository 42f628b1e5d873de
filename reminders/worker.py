"""The worker's own schedule and pulse, with no cron to configure.

`manage.py run_worker` runs django-tasks' `db_worker` and, beside it, a thread that every
HEARTBEAT_SECONDS writes the heartbeat, claims the current hour's digest run, queues a sync
of each connected CalDAV calendar that is due (README, Capture), and every RECLAIM_SECONDS
queues again any chunk of a recompute whose worker was killed in the middle of it
(`chunks_reclaim`); once a day it forgets the queue's tasks finished a month ago. The claim is
a `DigestRun` row unique per hour slot, so of several workers only one queues the digest for
that hour; the digest itself is idempotent per person and day besides.

The health of all this is one row (`WorkerStatus`): when a worker last beat, and whether the
last digest run failed. Leads and admins see a banner when either is wrong, and
`/healthz/worker` answers 503 for a monitor.
"""

from __future__ import annotations

import datetime
import logging
import math
import os
import socket
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django_tasks import task

from relationships.capture.caldav_sync import source_sync, sources_due
from reminders.digest import digest_send
from reminders.models import DigestRun, WorkerStatus
from scoring.jobs.recompute import chunks_reclaim

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
# How often a worker looks for recompute chunks that lost their worker: a scan of the queue's
# running tasks, and a chunk is only taken for lost after 15 minutes anyway.
RECLAIM_SECONDS = 300
# Finished tasks are kept this long (what became of a digest run or a recompute's chunk, for
# an operator to read), then forgotten, so that the queue's table does not grow for ever.
TASKS_KEPT = datetime.timedelta(days=30)
PRUNE_SECONDS = 24 * 3600
# A heartbeat older than this means no worker is running.
STALE_AFTER = datetime.timedelta(minutes=5)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat_write(*, now: datetime.datetime | None = None, name: str = "") -> None:
    WorkerStatus.objects.update_or_create(
        name="worker", defaults={"beat_at": now or timezone.now(), "beat_by": name}
    )


def hour_slot(moment: datetime.datetime) -> datetime.datetime:
    """The start of the hour holding `moment`, in TIME_ZONE (users choose their hour there)."""
    local = timezone.localtime(moment)
    return local.replace(minute=0, second=0, microsecond=0)


def digest_slot_claim(*, slot: datetime.datetime, name: str) -> bool:
    """Claim the digest run of one hour slot; False if another worker already has."""
    try:
        with transaction.atomic():
            DigestRun.objects.create(slot=slot, claimed_by=name)
    except IntegrityError:
        return False
    return True


def schedule_tick(*, now: datetime.datetime | None = None, name: str = "") -> bool:
    """One beat of the scheduler: the heartbeat, then the current hour's digest queued if this
    worker is the one to claim it. True when it queued the digest."""
    now = now or timezone.now()
    name = name or worker_name()
    heartbeat_write(now=now, name=name)
    slot = hour_slot(now)
    # The claim and the queued task are kept together or not at all: a claim left without its
    # task would keep every worker from the hour's digest (the day's, at 23:00).
    with transaction.atomic():
        if not digest_slot_claim(slot=slot, name=name):
            return False
        digest_hour_run.enqueue(slot.isoformat())
    return True


@task()
def digest_hour_run(slot_iso: str) -> None:
    """The worker's task: send the digests due at this slot's hour, and record how it went."""
    slot = datetime.datetime.fromisoformat(slot_iso)
    local = timezone.localtime(slot)
    run = DigestRun.objects.get(slot=slot)
    try:
        report = digest_send(day=local.date(), hour=local.hour)
        if report.failed:
            # Who was not reached goes to the log; the status, which the banner shows,
            # says how many.
            logger.error("The digest for %s was not sent to %s", slot_iso, ", ".join(report.failed))
            raise RuntimeError(f"Sending failed for {len(report.failed)} of the people due")
    except Exception as error:
        logger.exception("The digest run for %s failed", slot_iso)
        DigestRun.objects.filter(pk=run.pk).update(
            status=DigestRun.Status.FAILED, finished_at=timezone.now(), error=str(error)[:2000]
        )
        WorkerStatus.objects.update_or_create(
            name="worker",
            defaults={"digest_failed_at": timezone.now(), "digest_error": str(error)[:2000]},
        )
        raise
    DigestRun.objects.filter(pk=run.pk).update(
        status=DigestRun.Status.DONE, finished_at=timezone.now(), sent=len(report.sent)
    )
    WorkerStatus.objects.filter(name="worker").update(digest_failed_at=None, digest_error="")


@task()
def capture_source_sync(source_id: int) -> None:
    """The worker's task: bring one CalDAV calendar up to date (its outcome, failures
    included, is written on the source for its page)."""
    source_sync(source_id=source_id)


def capture_syncs_queue(*, now: datetime.datetime | None = None) -> int:
    """Queue a sync of every CalDAV calendar not tried for CAPTURE_SYNC_MINUTES; each is
    claimed by one worker only. How many were queued."""
    with transaction.atomic():
        due = sources_due(now=now, every_minutes=settings.CAPTURE_SYNC_MINUTES)
        for source_id in due:
            capture_source_sync.enqueue(source_id)
    return len(due)


def tasks_prune(*, now: datetime.datetime | None = None) -> int:
    """Forget the queue's tasks that finished (done or failed) more than TASKS_KEPT ago; how
    many. A task waiting or running is never touched."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=now - TASKS_KEPT).delete()
    return deleted


class Scheduler(threading.Thread):
    """The thread `run_worker` starts beside the task worker."""

    def __init__(
        self,
        *,
        interval: float = HEARTBEAT_SECONDS,
        reclaim_every: float = RECLAIM_SECONDS,
        prune_every: float = PRUNE_SECONDS,
    ) -> None:
        super().__init__(name="reminders-scheduler", daemon=True)
        self.interval = interval
        self.reclaim_every = reclaim_every
        self.prune_every = prune_every
        self.stopping = threading.Event()

    def run(self) -> None:
        name = worker_name()
        # What runs now and then, not at every beat: how often, what, and what failed if it does.
        periodic = [
            (self.reclaim_every, chunks_reclaim, "Looking for recompute chunks that lost a worker"),
            (self.prune_every, tasks_prune, "Forgetting the queue's old tasks"),
        ]
        last_run = [-math.inf] * len(periodic)
        while not self.stopping.is_set():
            try:
                schedule_tick(name=name)
            except Exception:  # the database away for a moment: try again at the next beat
                logger.exception("The worker's heartbeat failed")
            try:
                capture_syncs_queue()
            except Exception:
                logger.exception("Queueing the calendar syncs failed")
            for index, (every, job, doing) in enumerate(periodic):
                if time.monotonic() - last_run[index] < every:
                    continue
                last_run[index] = time.monotonic()
                try:
                    job()
                except Exception:
                    logger.exception("%s failed", doing)
            close_old_connections()
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()


@dataclass(frozen=True)
class WorkerHealth:
    """What is wrong with the background worker, if anything, and what to do about it."""

    beat_at: datetime.datetime | None
    stale: bool
    digest_failed_at: datetime.datetime | None
    digest_error: str

    @property
    def ok(self) -> bool:
        return not self.stale and self.digest_failed_at is None

    @property
    def problem(self) -> str:
        if self.stale and self.beat_at is None:
            return "No background worker has ever run: reminders are not being sent."
        if self.stale:
            seen = timezone.localtime(self.beat_at)
            return (
                f"The background worker was last seen {seen:%-d %b %H:%M}: reminders are not sent."
            )
        if self.digest_failed_at is not None:
            return f"The last reminder digest failed: {self.digest_error}"
        return ""

    @property
    def remedy(self) -> str:
        if self.stale:
            return (
                "Start it with `python manage.py run_worker` (docker compose: the worker service)."
            )
        return (
            "Check the email settings (EMAIL_HOST and the rest), then run"
            " `python manage.py send_reminders`."
        )


def worker_health(*, now: datetime.datetime | None = None) -> WorkerHealth:
    """The worker's health (one query)."""
    now = now or timezone.now()
    status = WorkerStatus.objects.filter(name="worker").first()
    beat_at = status.beat_at if status else None
    return WorkerHealth(
        beat_at=beat_at,
        stale=beat_at is None or now - beat_at > STALE_AFTER,
        digest_failed_at=status.digest_failed_at if status else None,
        digest_error=status.digest_error if status else "",
    )
