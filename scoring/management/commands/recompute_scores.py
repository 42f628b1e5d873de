"""Recompute the weekly score history: `python manage.py recompute_scores`.

Chunk by chunk (scoring/jobs/recompute.py), each committed on its own, so memory stays flat
however large the portfolio: an interruption leaves every account either as it was or fully
rescored, and running it again gives exactly what one clean run gives. On PostgreSQL one
forked process per core (`SCORING_PROCESSES`, or up to 8) takes the chunks in turn. With
`--queue` the chunks go to the task queue instead, for every running worker to share.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.models import Account
from scoring.jobs.recompute import (
    LaneDied,
    lanes_default,
    recompute_in_process,
    recompute_queue,
)
from scoring.management.options import iso_date, profile_chosen
from scoring.models import RecomputeJob


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
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the chunks for the workers (manage.py run_worker) and return at once.",
        )

    def handle(self, *args, accounts, profile, as_of, queue, verbosity, **options) -> None:
        chosen = profile_chosen(profile)
        if accounts:
            known = set(Account.objects.filter(pk__in=accounts).values_list("pk", flat=True))
            unknown = sorted(set(accounts) - known)
            if unknown:
                raise CommandError(f"No account with id {', '.join(map(str, unknown))}.")
        if queue:
            job = recompute_queue(
                profile=chosen,
                kind=RecomputeJob.Kind.FULL,
                account_ids=accounts,
                as_of=as_of,
            )
            if verbosity:
                self.stdout.write(
                    f"Queued job {job.pk}: {job.accounts_total} account"
                    f"{'' if job.accounts_total == 1 else 's'} in {job.chunks_total} chunk"
                    f"{'' if job.chunks_total == 1 else 's'} for the workers."
                )
            return
        total = len(accounts) if accounts else Account.objects.count()
        with tqdm(
            total=total,
            unit=" accounts",
            file=sys.stderr,
            disable=verbosity == 0 or None,  # None: shown only on a terminal
        ) as bar:
            try:
                result = recompute_in_process(
                    profile=chosen,
                    account_ids=accounts,
                    as_of=as_of,
                    progress=bar.update,
                    workers=settings.SCORING_PROCESSES,
                    lanes=lanes_default(),
                )
            except LaneDied as error:
                raise CommandError(str(error)) from error
        if verbosity:
            self.stdout.write(
                f"Scored {result.accounts} account{'' if result.accounts == 1 else 's'} under "
                f"profile v{result.profile_version}: "
                f"{result.snapshots} weekly snapshots."
            )
