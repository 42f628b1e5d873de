"""Export the portfolio as a CSV bundle in the formats import_portfolio reads."""

import csv
import io
from pathlib import Path

from django.core.management.base import BaseCommand

from relationships.csv_bundle.exporter import portfolio_export


def _records(text: str) -> int:
    """The CSV records in `text`, header left out. Not its lines: a cell may hold line breaks
    (a mission, one external pressure per line, notes)."""
    return sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1


class Command(BaseCommand):
    help = (
        "Write accounts.csv, interactions.csv and assessments.csv to DIR, in the formats "
        "import_portfolio reads (so an export imports back losslessly)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, metavar="DIR")

    def handle(self, *args, directory: Path, **options):
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in portfolio_export().items():
            (directory / name).write_text(text, encoding="utf-8")
            rows = _records(text)
            self.stdout.write(f"{directory / name}: {rows} row{'s' if rows != 1 else ''}")
