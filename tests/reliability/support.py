"""What the reliability tests share: the PostgreSQL-only mark, threads started together, and
an account's snapshots in comparable form."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections

from scoring.models import ScoreSnapshot

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# Every field of a snapshot that a page, an export or a chart reads.
SNAPSHOT_COLUMNS = (
    "account_id",
    "profile_id",
    "week_ending",
    "score",
    "stage",
    "decline_risk",
    "is_latest",
    "contributions",
    "risk_drivers",
    "next_stage_gap",
)


def snapshot_rows(account_ids: Collection[int] | None = None) -> list[tuple]:
    rows = ScoreSnapshot.objects.order_by("account_id", "profile_id", "week_ending")
    if account_ids is not None:
        rows = rows.filter(account_id__in=list(account_ids))
    return list(rows.values_list(*SNAPSHOT_COLUMNS))


@dataclass
class Outcome:
    """What one thread did: its result or its error, and when it ran (monotonic seconds)."""

    result: Any = None
    error: BaseException | None = None
    started: float = 0.0
    finished: float = 0.0


class Running:
    """`job` running in its own thread, so on its own database connection, which the thread
    closes when the job ends. With a barrier, the job starts when every party has arrived."""

    def __init__(self, job: Callable[[], Any], barrier: threading.Barrier | None = None):
        self.outcome = Outcome()
        self._job, self._barrier = job, barrier
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._barrier is not None:
                self._barrier.wait(timeout=10)
            self.outcome.started = time.monotonic()
            self.outcome.result = self._job()
        except BaseException as error:  # reported by wait(), not lost in the thread
            self.outcome.error = error
        finally:
            self.outcome.finished = time.monotonic()
            connections.close_all()  # this thread's connections only

    def wait(self, timeout: float) -> Outcome:
        """The outcome once the job ends; fails if it takes longer than `timeout` seconds or
        raised an error."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"still running after {timeout} s (a deadlock?)"
        if self.outcome.error is not None:
            raise self.outcome.error
        return self.outcome


def run_together(*jobs: Callable[[], Any], timeout: float = 20.0) -> list[Outcome]:
    """Run the jobs in threads released at the same moment; wait at most `timeout` seconds
    for all of them."""
    barrier = threading.Barrier(len(jobs))
    running = [Running(job, barrier) for job in jobs]
    deadline = time.monotonic() + timeout
    for run in running:  # every thread ends (or the time is up) before any error is raised
        run._thread.join(max(0.0, deadline - time.monotonic()))
    return [run.wait(0) for run in running]
