import datetime
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import Account
from relationships.demo.stories import build_portfolio
from relationships.demo.writer import (
    DEMO_PASSWORD,
    demo_accounts,
    demo_logins,
    non_demo_data_exists,
    write_portfolio,
)


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--as-of must be a date like 2026-01-31, not {value!r}.") from error


class Command(BaseCommand):
    help = (
        "Load a demo portfolio: accounts with believable relationship stories, their contacts, "
        "interactions, trust signals and assessments, plus demo users for each role. Replaces "
        "an earlier demo portfolio; refuses to run next to real data unless --force is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=60, help="How many accounts (60).")
        parser.add_argument("--years", type=float, default=3, help="Years of history (3).")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed; same seed, same data."
        )
        parser.add_argument(
            "--as-of", type=_date, default=None, help="Last day of history (today)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already holds accounts (used by `make run`).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo even though the database holds real (non-demo) accounts.",
        )

    def handle(self, *args, **options) -> None:
        count: int = options["accounts"]
        years: float = options["years"]
        if count < 1:
            raise CommandError("--accounts must be at least 1.")
        if not 0 < years <= 20:
            raise CommandError("--years must be more than 0 and at most 20.")

        if options["if_empty"] and Account.objects.exists():
            self.stdout.write("The database already holds accounts; no demo loaded.")
            if demo_accounts().exists():
                self._print_logins(demo_accounts().count())
            return
        if non_demo_data_exists() and not options["force"]:
            raise CommandError(
                "This database holds accounts that are not demo data; seed_demo will not mix "
                "demo accounts into it. Use an empty database, or pass --force."
            )

        as_of = options["as_of"] or timezone.localdate()
        started = time.perf_counter()
        portfolio = build_portfolio(accounts=count, years=years, seed=options["seed"], as_of=as_of)
        write_portfolio(portfolio)
        interactions = sum(len(a.interactions) for a in portfolio.accounts)
        signals = sum(len(i.signal_slugs) for a in portfolio.accounts for i in a.interactions)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {count} demo accounts with {interactions} interactions and {signals} "
                f"trust signals up to {as_of} in {time.perf_counter() - started:.1f} s."
            )
        )
        # The loader writes with COPY, past the receivers that rescore on each save.
        call_command("recompute_scores", as_of=as_of, verbosity=options["verbosity"])
        self._print_logins(count)

    def _print_logins(self, count: int) -> None:
        logins = demo_logins(count)
        shown = [login for login in logins if not login.username.startswith("manager")]
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in shown:
            self.stdout.write(f"  {login.username:<10} {login.role}")
        if len(shown) < len(logins):
            self.stdout.write(f"  ...and {len(logins) - len(shown)} more managers (manager005...)")
