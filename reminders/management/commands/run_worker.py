"""The background worker with its own schedule: django-tasks' `db_worker`, plus a thread that
writes the heartbeat and queues each hour's reminder digest (reminders/worker.py)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from reminders.worker import HEARTBEAT_SECONDS, Scheduler


class Command(BaseCommand):
    help = (
        "Run the background worker (db_worker) and its scheduler: a heartbeat every "
        f"{HEARTBEAT_SECONDS} s and the hourly reminder digest, claimed once per hour across "
        "all workers. Arguments after -- go to db_worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("worker_args", nargs="*", help="passed on to db_worker")

    def handle(self, *args, **options) -> None:
        scheduler = Scheduler()
        scheduler.start()
        try:
            call_command("db_worker", *options["worker_args"])
        finally:
            scheduler.stop()
