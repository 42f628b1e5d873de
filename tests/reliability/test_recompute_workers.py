"""A recompute shared by several workers: real `db_worker` processes claim its chunks from the
queue, each chunk runs once, the job finishes once, and the rows are a clean run's."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django_tasks_db.models import DBTaskResult

from scoring.jobs.recompute import recompute_chunk_run, recompute_queue
from scoring.models import RecomputeJob, ScoreSnapshot
from scoring.selectors import profile_active
from scoring.services import scores_recompute
from tests.factories import AccountFactory
from tests.reliability.support import ON_POSTGRESQL, snapshot_rows
from tests.reliability.test_concurrency import _history

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRESQL, reason="worker processes share PostgreSQL's queue"),
    pytest.mark.django_db(transaction=True),  # the workers are other processes
]


def _worker(name: str, *arguments: str) -> subprocess.Popen:
    """`manage.py db_worker` in its own process, on the test database."""
    db = settings.DATABASES["default"]
    login = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    url = f"postgres://{login}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "SCORING_PROCESSES": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--worker-id",
            name,
            "--interval",
            "0.1",
            *arguments,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finished(worker: subprocess.Popen) -> None:
    _, errors = worker.communicate(timeout=120)
    assert worker.returncode == 0, errors


def test_worker_processes_share_a_queued_recompute_and_finish_it_once(alice):
    accounts = [AccountFactory(owner=alice) for _ in range(6)]
    for account in accounts:
        _history(account)
    scores_recompute()
    clean = snapshot_rows()
    ScoreSnapshot.objects.all().delete()
    DBTaskResult.objects.all().delete()

    job = recompute_queue(profile=profile_active(), kind=RecomputeJob.Kind.FULL, chunk=1)
    assert (job.chunks_total, job.accounts_total) == (6, 6)

    # One worker takes two chunks and stops: the job shows its progress, not yet done.
    _finished(_worker("first", "--max-tasks", "2"))
    job.refresh_from_db()
    assert (job.status, job.chunks_done, job.accounts_done) == ("running", 2, 2)

    # Two more, at once, share the rest of the queue.
    second, third = _worker("second", "--batch"), _worker("third", "--batch")
    _finished(second)
    _finished(third)

    job.refresh_from_db()
    assert (job.status, job.chunks_done, job.accounts_done) == ("done", 6, 6)
    assert sorted(job.finished_chunks) == list(range(6))
    chunks = DBTaskResult.objects.filter(task_path=recompute_chunk_run.module_path)
    # Every chunk ran exactly once, the first two by the first worker.
    assert sorted(len(task.worker_ids) for task in chunks) == [1] * 6
    assert all(task.status == "SUCCESSFUL" for task in chunks)
    ran_by = [task.worker_ids[0] for task in chunks.order_by("enqueued_at")]
    assert ran_by[:2] == ["first", "first"]
    assert set(ran_by[2:]) <= {"second", "third"}
    # And the portfolio is exactly what one clean recompute gives.
    assert snapshot_rows() == clean
