"""Import a portfolio bundle (accounts.csv, interactions.csv, optional assessments.csv)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from relationships.csv_bundle import formats
from scoring.use_cases import portfolio_import


class Command(BaseCommand):
    help = (
        "Import accounts, interactions (with their signals) and assessments from CSV files in "
        "DIR. Ids are the files' own external ids: importing the same files again changes "
        "nothing. A bundle with any problem imports nothing and lists every problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, metavar="DIR")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args, directory: Path, dry_run: bool, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        files = {
            name: (directory / name).read_bytes()
            for name in formats.FILES
            if (directory / name).is_file()
        }
        report = portfolio_import(files=files, dry_run=dry_run)
        if not report.ok:
            total = len(report.problems)
            lines = [f"Nothing imported: {total} problem{'s' if total != 1 else ''}."]
            lines += [
                f"{p.file}, row {p.row}, {p.column or '-'}: {p.reason}"
                for p in report.problems_shown
            ]
            if more := report.problems_not_shown:
                lines.append(f"and {more} more problem{'s' if more != 1 else ''}")
            raise CommandError("\n".join(lines))
        title = "Dry run, nothing written. Would import:" if dry_run else "Imported:"
        self.stdout.write(title)
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if report.rescored_accounts:
            self.stdout.write(f"Rescored {report.rescored_accounts} accounts.")
