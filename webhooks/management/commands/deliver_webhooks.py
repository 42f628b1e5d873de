"""Send the webhook deliveries that are due now, without the background worker."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from webhooks.delivery import BATCH, deliveries_prune, deliveries_run


class Command(BaseCommand):
    help = (
        "Send every webhook delivery due now (as the worker does), then print what came of "
        "them. Failed ones are retried later, by the worker or the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help=f"One pass only (at most {BATCH} deliveries)."
        )
        parser.add_argument(
            "--prune", action="store_true", help="Also forget deliveries finished long ago."
        )

    def handle(self, *args, once: bool, prune: bool, verbosity: int, **options) -> None:
        totals = {"delivered": 0, "retrying": 0, "given_up": 0}
        while True:
            report = deliveries_run()
            for key in totals:
                totals[key] += getattr(report, key)
            # A pass that put deliveries back (an endpoint not answering) ends the run: they
            # wait for their endpoint's next attempt.
            if once or report.claimed < BATCH or report.put_back:
                break
        pruned = deliveries_prune() if prune else 0
        if verbosity:
            self.stdout.write(
                f"Delivered {totals['delivered']}, failed {totals['retrying']} (to be retried), "
                f"gave up on {totals['given_up']}."
                + (f" Forgot {pruned} old deliveries." if prune else "")
            )
