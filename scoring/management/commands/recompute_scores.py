"""Recompute the weekly score history: `python manage.py recompute_scores`.

Idempotent and all-or-nothing: run it again after an interruption and the portfolio ends up
exactly as one clean run leaves it.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.models import Account
from scoring.management.options import iso_date, profile_chosen
from scoring.services import scores_recompute


class Command(BaseCommand):
    help = "Recompute weekly scores, stages and decline risk from the evidence."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--account",
            action="append",
            type=int,
            dest="accounts",
            metavar="ID",
            help="Only this account (by id); repeat for several. Default: every account.",
        )
        parser.add_argument(
            "--profile",
            type=int,
            metavar="VERSION",
            help="Score under this profile version. Default: the active one.",
        )
        parser.add_argument(
            "--as-of",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="Score as if today were this date. Default: today.",
        )

    def handle(self, *args, accounts, profile, as_of, verbosity, **options) -> None:
        chosen = profile_chosen(profile)
        if accounts:
            known = set(Account.objects.filter(pk__in=accounts).values_list("pk", flat=True))
            unknown = sorted(set(accounts) - known)
            if unknown:
                raise CommandError(f"No account with id {', '.join(map(str, unknown))}.")
        total = len(accounts) if accounts else Account.objects.count()
        with tqdm(
            total=total,
            unit=" accounts",
            file=sys.stderr,
            disable=verbosity == 0 or None,  # None: shown only on a terminal
        ) as bar:
            result = scores_recompute(
                profile=chosen, account_ids=accounts, as_of=as_of, progress=bar.update
            )
        if verbosity:
            self.stdout.write(
                f"Scored {result.accounts} account{'' if result.accounts == 1 else 's'} under "
                f"profile v{result.profile_version}: "
                f"{result.snapshots} weekly snapshots."
            )
