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


class _Tally:
    """Account-weeks counted by score: for each distinct score, how many weeks have it, and of
    those whose outcome is known, how many were kept past the horizon and how many were lost
    within it. Risks are rounded to the hundredth and the baselines count whole days and
    contacts, so a book of any size has few distinct scores: the tally, not the weeks, is
    what grows with the book, and only by the scores it has not met yet."""

    def __init__(self) -> None:
        self.counts: dict[float, list[int]] = {}  # score: [weeks, known kept, known lost]

    def add(self, scores: np.ndarray, labels: np.ndarray, known: np.ndarray) -> None:
        values, inverse = np.unique(scores, return_inverse=True)
        size = len(values)
        weeks = np.bincount(inverse, minlength=size)
        kept = np.bincount(inverse[known & ~labels], minlength=size)
        lost = np.bincount(inverse[known & labels], minlength=size)
        counts = self.counts
        for value, *numbers in zip(
            values.tolist(), weeks.tolist(), kept.tolist(), lost.tolist(), strict=True
        ):
            total = counts.setdefault(value, [0, 0, 0])
            for index, number in enumerate(numbers):
                total[index] += number

    def auc(self) -> float | None:
        """The ROC AUC of the score as a predictor of a loss, over the weeks whose outcome is
        known: `roc_auc` of those weeks, from their counts."""
        known = sorted((v, c[1], c[2]) for v, c in self.counts.items() if c[1] or c[2])
        kept = np.array([row[1] for row in known], dtype=np.int64)
        lost = np.array([row[2] for row in known], dtype=np.int64)
        positives, negatives = int(lost.sum()), int(kept.sum())
        if not positives or not negatives:
            return None
        counts = kept + lost
        # Ranks 1..n in ascending order; a run of ties shares the average of its ranks. The
        # ranks are halves and the sums stay far below 2**53: exact, in any order.
        average_rank = np.cumsum(counts) - (counts - 1) / 2
        rank_sum = float((average_rank * lost).sum())
        return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)

    def alarm(self, budget: int) -> _Alarm:
        """Alarm on the highest scores, on as close to `budget` weeks as ties allow."""
        total = sum(c[0] for c in self.counts.values())
        if not budget or not total:
            return _Alarm(math.inf, inclusive=False)  # never
        wanted = min(budget, total)
        above = 0
        for value in sorted(self.counts, reverse=True):
            at_least = above + self.counts[value][0]
            if at_least >= wanted:
                break
            above = at_least
        # Ties at the threshold: take them all or none, whichever lands nearer the budget.
        return _Alarm(value, inclusive=at_least - budget <= budget - above)


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """The probability that a positive ranks above a negative (ties count half): the ROC AUC,
    by the Mann-Whitney rank formula with tied scores given their average rank. None when
    either class is empty."""
    tally = _Tally()
    labels = np.asarray(labels, dtype=bool)
    tally.add(np.asarray(scores), labels, np.ones(len(labels), dtype=bool))
    return tally.auc()


class _Alarm(NamedTuple):
    """Raised on a week whose score is at least (`inclusive`) or above `threshold`."""

    threshold: float
    inclusive: bool

    def on(self, scores: np.ndarray) -> np.ndarray:
        return scores >= self.threshold if self.inclusive else scores > self.threshold


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
    if np.isnan(weeks.risk).any():
        # The engine and the snapshots' check keep risks within 0-100; a NaN would rank and
        # count arbitrarily, so the backtest stops rather than report on it.
        raise ValueError(f"Account {account_id} has a week whose decline risk is not a number.")
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


# The three scores a week is ranked by, in the order `_Kept.scores` holds them: the profile's
# decline risk, then the two rules of thumb (fewer recent contacts ranking riskier).
SCORES = ("risk", *BASELINES)

# Account-weeks waiting to be tallied: the backtest holds at most about this many weeks of
# scores at once, whatever the size of the book.
WEEKS_PER_TALLY = 200_000


_NO_WEEKS = np.empty(0, np.int32)  # what a kept account keeps of its weeks (never written)


class _Kept(NamedTuple):
    """What the report needs of one account once its weeks are tallied. A lost account keeps
    its weeks within the lookback year before the loss (its lead is read from them); a kept
    account keeps only the highest of each score over the last year (whether any of its
    weeks raised an alarm then)."""

    account_id: int
    external_id: str
    name: str
    lost_on: datetime.date | None
    week_ending: np.ndarray  # lost: the weeks of the lookback window; kept: none
    scores: np.ndarray  # a row per score: lost, per week above; kept, one column of peaks


def _scores(account: _Account) -> np.ndarray:
    return np.vstack((account.risk, account.since_contact, -account.recent_contacts))


class Backtest:
    """Feed it one account at a time; `report()` at the end. It keeps a few figures per
    account and counts of scores, not the accounts' weeks."""

    def __init__(self, *, high: float, as_of: datetime.date):
        self.high = high
        self.as_of = as_of
        self.accounts: list[_Kept] = []
        self.unscored_losses: list[tuple[int, str, str, datetime.date]] = []
        self.tallies = {key: _Tally() for key in SCORES}
        self.alarms = 0  # weeks in the profile's high band: the baselines' alarm budget
        self.waiting: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # scores, labels, known
        self.weeks_waiting = 0

    def add(self, **fields) -> None:
        """One account, as `account_record` takes it (without `as_of`)."""
        self.add_record(account_record(as_of=self.as_of, **fields))

    def add_record(self, record: Record) -> None:
        """What `account_record` made of one account (in another process, say)."""
        if not isinstance(record, _Account):
            if record is not None:
                self.unscored_losses.append(record)
            return
        scores = _scores(record)
        self.alarms += int((record.risk >= self.high).sum())
        if record.lost_on is not None:
            lost = record.lost_on.toordinal()
            window = (record.week_ending > lost - 7 * LOOKBACK_WEEKS) & (
                record.week_ending <= lost + 6
            )
            weeks, kept_scores = record.week_ending[window], scores[:, window]
        else:
            recent = record.week_ending > self.as_of.toordinal() - 7 * LOOKBACK_WEEKS
            peaks = scores[:, recent].max(axis=1, initial=-math.inf)
            weeks, kept_scores = _NO_WEEKS, peaks[:, None]
        self.accounts.append(
            _Kept(
                record.account_id,
                record.external_id,
                record.name,
                record.lost_on,
                weeks,
                kept_scores,
            )
        )
        self.waiting.append((scores, record.labels, record.known))
        self.weeks_waiting += len(record.week_ending)
        if self.weeks_waiting >= WEEKS_PER_TALLY:
            self._tally()

    def _tally(self) -> None:
        if not self.waiting:
            return
        scores, labels, known = (
            np.concatenate(parts, axis=-1) for parts in zip(*self.waiting, strict=True)
        )
        for key, row in zip(SCORES, scores, strict=True):
            self.tallies[key].add(row, labels, known)
        self.waiting, self.weeks_waiting = [], 0

    # Reading the result ---------------------------------------------------------------

    def _lead(self, account: _Kept, alarm: np.ndarray) -> int | None:
        assert account.lost_on is not None
        warned = np.flatnonzero(alarm)
        if not len(warned):
            return None
        return max(0, (account.lost_on.toordinal() - int(account.week_ending[warned[0]])) // 7)

    def _figures(self, key: str, alarm: _Alarm) -> dict:
        """Lead per lost account, false alarm per retained one, and the summary figures, for
        one score (`key`, one of SCORES) and the alarm raised on it. A share is None when
        there is nothing to share out (no loss, or no kept account)."""
        row = SCORES.index(key)
        leads: list[int | None] = [None] * len(self.unscored_losses)
        false_alarms = []
        per_account = []
        for account in self.accounts:
            alarms = alarm.on(account.scores[row])
            if account.lost_on is not None:
                lead = self._lead(account, alarms)
                leads.append(lead)
                per_account.append((lead, False))
            else:
                flagged = bool(alarms.any())
                false_alarms.append(flagged)
                per_account.append((None, flagged))
        warned = sum((lead or 0) >= LEAD_GOAL_WEEKS for lead in leads)
        return {
            "warned_share": warned / len(leads) if leads else None,
            "false_alarm_rate": sum(false_alarms) / len(false_alarms) if false_alarms else None,
            "median_lead_weeks": statistics.median(lead or 0 for lead in leads) if leads else None,
            "auc": self.tallies[key].auc(),
            "per_account": per_account,
        }

    def _baseline(self, key: str) -> dict:
        """A naive rule at the same alarm budget: alarm on the riskiest weeks, as close to the
        profile's number of alarms as ties allow."""
        figures = self._figures(key, self.tallies[key].alarm(self.alarms))
        return {name: figures[name] for name in ("warned_share", "false_alarm_rate", "auc")}

    def report(self, *, profile: int | None = None) -> dict:
        """The whole validation report, as `manage.py backtest_scores --json` prints it."""
        self._tally()
        mine = self._figures("risk", _Alarm(self.high, inclusive=True))
        baselines = {key: self._baseline(key) for key in BASELINES}
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
