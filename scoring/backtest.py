"""Backtesting a scoring profile against what actually happened (no ORM here).

Would the profile have warned in time, and does it warn better than a rule of thumb? Feed a
`Backtest` every account's weekly timeline and days of contact, then read `report()`:

- for each lost account, the lead: how many weeks before the loss its decline risk first
  entered the high band, within the year before the loss (None when it never did);
- for each retained account, whether it sat in the high band in the last year (a false alarm);
- the share of lost accounts warned at least LEAD_GOAL_WEEKS ahead, the false-alarm rate and
  the median lead (a loss never warned counts as a lead of 0);
- the ROC AUC of decline risk as a predictor of a loss within the next HORIZON_WEEKS, over
  every account-week whose outcome is known: a retained account's last HORIZON_WEEKS weeks
  are left out, since what follows them is not known yet;
- the same figures for two naive baselines, from the same weeks: days since the last contact,
  and recent activity (contacts in the last RECENT_DAYS days, fewer meaning riskier). Each
  baseline raises its alarm on at least as many account-weeks as the profile's high band
  does, so all three are compared at the same alarm budget.
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

import numpy as np

from scoring.engine import WeekPoint

LOOKBACK_WEEKS = 52
LEAD_GOAL_WEEKS = 8
HORIZON_WEEKS = 12
RECENT_DAYS = 90
BASELINES = {
    "days_since_contact": "days since last contact",
    "recent_activity": f"contacts in the last {RECENT_DAYS} days",
}


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """The probability that a positive ranks above a negative (ties count half): the ROC AUC,
    by the Mann-Whitney rank formula with tied scores given their average rank. None when
    either class is empty."""
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    values, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # Ranks 1..n in ascending order; a run of ties shares the average of its ranks.
    average_rank = np.cumsum(counts) - (counts - 1) / 2
    rank_sum = float(average_rank[inverse][labels].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@dataclass
class _Account:
    account_id: int
    external_id: str
    name: str
    lost_on: datetime.date | None
    week_ending: np.ndarray  # ordinal of each week's Sunday
    risk: np.ndarray
    since_contact: np.ndarray  # days since the last contact on the week's last day
    recent_contacts: np.ndarray  # contacts in the RECENT_DAYS days up to it
    labels: np.ndarray  # lost within HORIZON_WEEKS of the week's last day
    known: np.ndarray  # the outcome of the week is known


class Weeks(NamedTuple):
    """An account's weeks as the backtest reads them: each week's Sunday (a day ordinal) and
    its decline risk, in order; from a timeline (`of`) or from stored snapshots."""

    week_ending: np.ndarray
    risk: np.ndarray

    @classmethod
    def of(cls, timeline: Sequence[WeekPoint]) -> Weeks:
        return cls(
            np.fromiter((p.week_ending.toordinal() for p in timeline), np.int64, len(timeline)),
            np.fromiter((p.decline_risk for p in timeline), float, len(timeline)),
        )


# What the backtest keeps of one account: see `account_record`.
Record: TypeAlias = "_Account | tuple[int, str, str, datetime.date] | None"


def account_record(
    *,
    as_of: datetime.date,
    account_id: int,
    name: str,
    lost_on: datetime.date | None,
    timeline: Sequence[WeekPoint] | Weeks,
    contacts: Iterable[datetime.date] = (),
    external_id: str = "",
) -> Record:
    """What the backtest keeps of one account from its weekly timeline (as score_timeline
    gives it, or its `Weeks`) and its days of contact: its weeks in compact arrays, or (id,
    external id, name, lost on) for a loss with nothing logged, or None for a kept account
    with nothing logged (it says nothing). An account lost after `as_of` counts as retained:
    as of then, it was."""
    if lost_on is not None and lost_on > as_of:
        lost_on = None
    weeks = timeline if isinstance(timeline, Weeks) else Weeks.of(timeline)
    if not len(weeks.week_ending):
        return (account_id, external_id, name, lost_on) if lost_on is not None else None
    end = (lost_on or as_of).toordinal()
    week_ending = weeks.week_ending
    day = np.minimum(week_ending, end)  # the last week is evaluated on its last day
    contact_days = np.array(sorted(d.toordinal() for d in contacts), dtype=np.int64)
    before = np.searchsorted(contact_days, day, side="right")  # contacts up to each day
    since_first = day - week_ending[0] + 7  # no contact yet: silent since it began
    last = contact_days[np.maximum(before - 1, 0)] if len(contact_days) else day
    since_contact = np.where(before > 0, day - last, since_first)
    recent = before - np.searchsorted(contact_days, day - RECENT_DAYS, side="right")
    horizon = HORIZON_WEEKS * 7
    if lost_on is None:
        labels = np.zeros(len(day), dtype=bool)
        known = day <= as_of.toordinal() - horizon
    else:
        labels = lost_on.toordinal() - day < horizon
        known = np.ones(len(day), dtype=bool)
    # Day counts are whole numbers, exact in 32 bits: half the memory of a whole portfolio's
    # weeks, which the report needs all at once.
    return _Account(
        account_id,
        external_id,
        name,
        lost_on,
        week_ending.astype(np.int32),
        # To the hundredth, as snapshots store it and the app judges the bands by it; the
        # live version's stored weeks and a draft's scored ones then read alike.
        np.round(weeks.risk, 2),
        since_contact.astype(np.float32),
        recent.astype(np.float32),
        labels,
        known,
    )


class Backtest:
    """Feed it one account at a time; `report()` at the end."""

    def __init__(self, *, high: float, as_of: datetime.date):
        self.high = high
        self.as_of = as_of
        self.accounts: list[_Account] = []
        self.unscored_losses: list[tuple[int, str, str, datetime.date]] = []

    def add(self, **fields) -> None:
        """One account, as `account_record` takes it (without `as_of`)."""
        self.add_record(account_record(as_of=self.as_of, **fields))

    def add_record(self, record: Record) -> None:
        """What `account_record` made of one account (in another process, say)."""
        if isinstance(record, _Account):
            self.accounts.append(record)
        elif record is not None:
            self.unscored_losses.append(record)

    # Reading the result ---------------------------------------------------------------

    def _lead(self, account: _Account, alarm: np.ndarray) -> int | None:
        assert account.lost_on is not None
        lost = account.lost_on.toordinal()
        window = (account.week_ending > lost - 7 * LOOKBACK_WEEKS) & (
            account.week_ending <= lost + 6
        )
        warned = np.flatnonzero(window & alarm)
        if not len(warned):
            return None
        return max(0, (lost - int(account.week_ending[warned[0]])) // 7)

    def _false_alarm(self, account: _Account, alarm: np.ndarray) -> bool:
        since = self.as_of.toordinal() - 7 * LOOKBACK_WEEKS
        return bool((alarm & (account.week_ending > since)).any())

    def _figures(self, alarms: list[np.ndarray], scores: list[np.ndarray]) -> dict:
        """Lead per lost account, false alarm per retained one, and the summary figures, for
        one way of raising the alarm (`alarms`, per account) and of ranking risk (`scores`).
        A share is None when there is nothing to share out (no loss, or no kept account)."""
        leads: list[int | None] = [None] * len(self.unscored_losses)
        false_alarms = []
        per_account = []
        for account, alarm in zip(self.accounts, alarms, strict=True):
            if account.lost_on is not None:
                lead = self._lead(account, alarm)
                leads.append(lead)
                per_account.append((lead, False))
            else:
                flagged = self._false_alarm(account, alarm)
                false_alarms.append(flagged)
                per_account.append((None, flagged))
        auc = None
        if self.accounts:
            known = np.concatenate([a.known for a in self.accounts])
            labels = np.concatenate([a.labels for a in self.accounts])[known]
            auc = roc_auc(np.concatenate(scores)[known], labels)
        warned = sum((lead or 0) >= LEAD_GOAL_WEEKS for lead in leads)
        return {
            "warned_share": warned / len(leads) if leads else None,
            "false_alarm_rate": sum(false_alarms) / len(false_alarms) if false_alarms else None,
            "median_lead_weeks": statistics.median(lead or 0 for lead in leads) if leads else None,
            "auc": auc,
            "per_account": per_account,
        }

    def _baseline(self, key: str, budget: int) -> dict:
        """A naive rule at the same alarm budget: alarm on the riskiest weeks, as close to
        `budget` of them as ties allow."""
        if key == "days_since_contact":
            scores = [a.since_contact for a in self.accounts]
        else:
            scores = [-a.recent_contacts for a in self.accounts]  # fewer contacts, riskier
        every = np.concatenate(scores) if scores else np.array([])
        alarms = [np.zeros(len(s), dtype=bool) for s in scores]
        if budget and len(every):
            threshold = np.sort(every)[::-1][min(budget, len(every)) - 1]
            at_least = int((every >= threshold).sum())
            above = int((every > threshold).sum())
            # Ties at the threshold: take them all or none, whichever lands nearer the budget.
            if at_least - budget <= budget - above:
                alarms = [s >= threshold for s in scores]
            else:
                alarms = [s > threshold for s in scores]
        figures = self._figures(alarms, scores)
        return {name: figures[name] for name in ("warned_share", "false_alarm_rate", "auc")}

    def report(self, *, profile: int | None = None) -> dict:
        """The whole validation report, as `manage.py backtest_scores --json` prints it."""
        alarms = [a.risk >= self.high for a in self.accounts]
        budget = int(sum(alarm.sum() for alarm in alarms))
        mine = self._figures(alarms, [a.risk for a in self.accounts])
        baselines = {key: self._baseline(key, budget) for key in BASELINES}
        per_account = [
            {
                "external_id": account.external_id,
                "name": account.name,
                "status": "lost" if account.lost_on else "retained",
                "lost_on": account.lost_on.isoformat() if account.lost_on else None,
                "lead_weeks": lead,
                "false_alarm": flagged,
            }
            for account, (lead, flagged) in zip(self.accounts, mine["per_account"], strict=True)
        ]
        per_account += [
            {
                "external_id": external_id,
                "name": name,
                "status": "lost",
                "lost_on": lost_on.isoformat(),
                "lead_weeks": None,
                "false_alarm": False,
            }
            for _, external_id, name, lost_on in self.unscored_losses
        ]
        per_account.sort(
            key=lambda row: (row["status"], row["lost_on"] or "", row["name"], row["external_id"])
        )
        report = {
            "profile": profile,
            "as_of": self.as_of.isoformat(),
            "lead_goal_weeks": LEAD_GOAL_WEEKS,
            "horizon_weeks": HORIZON_WEEKS,
            "lost": sum(1 for a in self.accounts if a.lost_on) + len(self.unscored_losses),
            "retained": sum(1 for a in self.accounts if not a.lost_on),
            "warned_share": mine["warned_share"],
            "false_alarm_rate": mine["false_alarm_rate"],
            "median_lead_weeks": mine["median_lead_weeks"],
            "auc": mine["auc"],
            "baselines": baselines,
            "per_account": per_account,
        }
        report["verdict"] = verdict(report)
        return report


def beats(report: dict, baseline: str) -> bool:
    """Whether the profile ranks the accounts about to be lost higher than the baseline does
    (its AUC is higher) and better than chance; a report without losses beats nothing."""
    mine, theirs = report["auc"], report["baselines"][baseline]["auc"]
    return mine is not None and mine > 0.5 and (theirs is None or mine > theirs)


def verdict(report: dict) -> str:
    """The report's conclusion in one sentence, for the page and the command."""
    if report["auc"] is None:
        return (
            "No verdict yet: the backtest needs both accounts lost and accounts kept, "
            "with their history."
        )

    def auc(value: float | None) -> str:
        return "—" if value is None or math.isnan(value) else f"{value:.2f}"

    against = "; ".join(
        f"{label} {auc(report['baselines'][key]['auc'])}" for key, label in BASELINES.items()
    )
    if report["auc"] <= 0.5:
        return (
            f"Ranks the accounts about to be lost no better than chance (AUC "
            f"{auc(report['auc'])}; {against}): not worth tuning as it stands."
        )
    if not beats(report, "days_since_contact"):
        return (
            f"Does not beat days since last contact (AUC {auc(report['auc'])}; {against}): "
            "a profile that a rule of thumb beats is not worth tuning."
        )
    if not beats(report, "recent_activity"):
        return (
            f"Beats days since last contact but not recent activity (AUC {auc(report['auc'])}; "
            f"{against})."
        )
    return f"Beats both rules of thumb (AUC {auc(report['auc'])}; {against})."


def compared_with_live(mine: dict, live: dict, *, live_version: int) -> str:
    """How a version warns against the live one, in one sentence ("" when they agree)."""
    lines = []
    share, theirs = mine["warned_share"], live["warned_share"]
    if share is not None and theirs is not None and share != theirs:
        better = "more" if share > theirs else "fewer"
        lines.append(
            f"warns of {better} losses in time than live v{live_version} "
            f"({share:.0%} against {theirs:.0%})"
        )
    alarms, their_alarms = mine["false_alarm_rate"], live["false_alarm_rate"]
    if alarms is not None and their_alarms is not None and alarms != their_alarms:
        more = "more" if alarms > their_alarms else "fewer"
        lines.append(f"raises {more} false alarms ({alarms:.0%} against {their_alarms:.0%})")
    if not lines:
        return ""
    text = "; ".join(lines)
    return text[:1].upper() + text[1:] + "."
