"""Send the day's reminder digests now (the worker sends each at the person's hour)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reminders.digest import digest_send
from reminders.models import WorkerStatus


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date takes YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Email each person their reminders for the day, whatever their hour: once per person "
        "and day (a second run sends nothing new), never to those who turned it off, and "
        "weekly digests on Mondays only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--dry-run", action="store_true", help="say who would get one; send nothing"
        )

    def handle(self, *args, **options) -> None:
        day = _day(options["date"]) if options["date"] else timezone.localdate()
        report = digest_send(day=day, dry_run=options["dry_run"])
        verb = "Would send" if options["dry_run"] else "Sent"
        self.stdout.write(
            f"{verb} {len(report.sent)} digest(s) for {day}: {', '.join(report.sent)}"
        )
        if report.already_sent:
            self.stdout.write(f"Already sent: {', '.join(report.already_sent)}")
        if report.nothing_to_say:
            self.stdout.write(f"Nothing due: {', '.join(report.nothing_to_say)}")
        if report.failed:
            raise CommandError(f"Sending failed for {', '.join(report.failed)}; see the log.")
        if not options["dry_run"]:
            # A manual run that went through clears the banner about a failed one.
            WorkerStatus.objects.filter(name="worker").update(
                digest_failed_at=None, digest_error=""
            )
