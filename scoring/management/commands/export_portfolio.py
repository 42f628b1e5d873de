"""The portfolio's standing as CSV, for BI tools and scheduled reports."""

import csv
import datetime
import io
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scoring.dashboard.export import EXPORT_COLUMNS, export_lines, last_contacts, portfolio_as_of
from scoring.selectors import profile_active


class Command(BaseCommand):
    help = (
        "Write one UTF-8 CSV line per account with its stage, score, decline risk, top risk "
        "driver, revenue and last contact: today's standing, as the dashboard shows it, or "
        "with --as-of a past date, the standing at the close of the last week ended by then."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--output", help="File to write (default: standard output)")

    def handle(self, *args, as_of=None, output=None, **options):
        today = timezone.localdate()
        try:
            day = datetime.date.fromisoformat(as_of) if as_of else today
        except ValueError:
            raise CommandError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD).") from None
        rows = portfolio_as_of(profile=profile_active(), as_of=day, today=today)
        contacts = last_contacts(account_ids=None, as_of=day)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(export_lines(rows, contacts))
        if output:
            Path(output).write_text(buffer.getvalue(), encoding="utf-8")
        else:
            sys.stdout.write(buffer.getvalue())
        if output:
            self.stderr.write(f"{len(rows)} accounts written to {output}")
