"""Validate a scoring profile against what happened: `python manage.py backtest_scores`.

Scores every account's whole history under the profile and reports how early it warned of the
accounts lost, how often it raised false alarms on the ones kept, and whether its decline risk
predicts losses better than two naive baselines (scoring/backtest.py says how each figure is
computed).
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from scoring.backtest import BASELINES, LEAD_GOAL_WEEKS
from scoring.jobs.backtest_run import backtest_reports
from scoring.management.options import iso_date, profile_chosen


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def _auc(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


class Command(BaseCommand):
    help = "Backtest a scoring profile: warning lead per lost account, false alarms, AUC."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--profile",
            type=int,
            metavar="VERSION",
            help="Backtest this profile version. Default: the active one.",
        )
        parser.add_argument(
            "--as-of",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="Backtest as if today were this date. Default: today.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print the report as one JSON object.",
        )

    def handle(self, *args, profile, as_of, as_json: bool, verbosity: int, **options) -> None:
        chosen = profile_chosen(profile)
        today = timezone.localdate()
        if as_of is not None and as_of > today:
            raise CommandError(
                f"--as-of {as_of} is after today: what happens next is not known yet."
            )
        as_of = as_of or today
        with tqdm(
            unit=" accounts",
            file=sys.stderr,
            disable=verbosity == 0 or None,  # None: shown only on a terminal
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report = backtest_reports({"profile": chosen}, as_of=as_of, progress=progress)[
                "profile"
            ]
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self._write(report)

    def _write(self, report: dict) -> None:
        out = self.stdout.write
        out(
            f"Backtest of scoring profile v{report['profile']} as of {report['as_of']}: "
            f"{report['lost']} lost and {report['retained']} kept accounts."
        )
        rows = [(f"v{report['profile']}", report)]
        rows += [(label, report["baselines"][key]) for key, label in BASELINES.items()]
        headers = (f"warned {LEAD_GOAL_WEEKS}+ wk", "false alarms", "AUC")
        label_width = max(len(label) for label, _ in rows) + 2
        out(" " * label_width + "".join(header.rjust(14) for header in headers))
        for label, figures in rows:
            values = (
                _share(figures["warned_share"]),
                _share(figures["false_alarm_rate"]),
                _auc(figures["auc"]),
            )
            out(label.ljust(label_width) + "".join(value.rjust(14) for value in values))
        out(
            "A false alarm is a kept account in the high band in the last year; the AUC ranks "
            f"the accounts lost within {report['horizon_weeks']} weeks above the others. Each "
            "rule of thumb raises its alarm on as many account-weeks as the profile's high band."
        )
        median = report["median_lead_weeks"]
        out(
            "Median lead: "
            + ("—" if median is None else f"{median:g} weeks")
            + " (a loss never warned counts as 0)."
        )
        out(report["verdict"])
        lost = [row for row in report["per_account"] if row["status"] == "lost"]
        if lost:
            out("")
            out("Lost accounts:")
            for row in lost:
                lead = row["lead_weeks"]
                warned = "never warned" if lead is None else f"warned {lead} weeks ahead"
                out(f"  {row['external_id']}  {row['name']}  lost {row['lost_on']}  {warned}")
        alarms = [row for row in report["per_account"] if row["false_alarm"]]
        if alarms:
            out("")
            out("Kept accounts that sat in the high band in the last year:")
            for row in alarms:
                out(f"  {row['external_id']}  {row['name']}")
