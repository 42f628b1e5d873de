"""The background worker with its own schedule: django-tasks' `db_worker`, plus a thread that
writes the heartbeat and queues each hour's reminder digest (reminders/worker.py), and one
that sends webhook deliveries as they fall due (webhooks/delivery.py)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from reminders.worker import HEARTBEAT_SECONDS, Scheduler
from webhooks.delivery import POLL_SECONDS, DeliveryLoop


class Command(BaseCommand):
    help = (
        "Run the background worker (db_worker) and its scheduler: a heartbeat every "
        f"{HEARTBEAT_SECONDS} s and the hourly reminder digest, claimed once per hour across "
        f"all workers; and webhook deliveries, looked for every {POLL_SECONDS:g} s. "
        "Arguments after -- go to db_worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("worker_args", nargs="*", help="passed on to db_worker")

    def handle(self, *args, **options) -> None:
        scheduler = Scheduler()
        deliveries = DeliveryLoop()
        scheduler.start()
        deliveries.start()
        try:
            call_command("db_worker", *options["worker_args"])
        finally:
            scheduler.stop()
            deliveries.stop()
