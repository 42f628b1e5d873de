"""Where every account stands today, for a whole portfolio at once (numpy; no Django).

`score_timeline` walks one account's weeks and explains each of them. The what-if preview
needs far less, far faster: today's stage, score and decline risk of every account, computed
again each time a scoring admin edits a draft. This module walks all accounts' weeks together,
one array operation across the portfolio per step, and explains only the final week.

It takes the same steps as `score_timeline`, in the same order and with the same decay factors
(a test holds the two to the same result on a generated portfolio). The only difference is
rounding: evidence points are summed in a fixed order of buckets rather than the order they
arrived in, which can move a score in its last binary digit.

Build a `Batch` once from the evidence (`build`), then call `standings` for each profile.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.engine.profile import Profile
from scoring.engine.risk import (
    DEFAULT_RHYTHM_DAYS,
    MAX_SHARE,
    MIN_RHYTHM_DAYS,
    MOMENTUM_NOISE,
    RiskInputs,
    decline_risk,
    signals_in_words,
)
from scoring.engine.stages import Stage, StageGaps
from scoring.engine.types import Evidence, WeekPoint
from scoring.engine.windows import MIN_GAPS, PEAK_STAGE_WEEKS, latest_warnings, usual_gap

_EPSILON = 1e-6  # as in curve.py: evidence points below this are gone
_GATED = (Stage.CONFIDANT, Stage.CONSULTANT, Stage.VIRTUAL_PARTNER)
_RANKED = (Stage.VENDOR, Stage.CONFIDANT, Stage.CONSULTANT, Stage.VIRTUAL_PARTNER)
_STAGE_OF_RANK = {stage.rank: stage for stage in _RANKED}  # ranks: 1 vendor .. 4 virtual partner
_NEVER = -(10**9)  # "no such day yet", as gate_seen starts in curve.py
_DAYS = 10**8  # account number * _DAYS + day ordinal packs an (account, day) pair in one int


@dataclass(frozen=True, eq=False)
class Columns:
    """Evidence of many accounts as parallel arrays, in any order; the input of `build`.

    Accounts are given by id; days are date ordinals. Signals name their slug and category by
    position in `slugs` and `categories`, interactions their kind by position in `kinds`.
    """

    account_ids: np.ndarray
    lost_on: np.ndarray  # ordinal of the day the account was lost, 0 when it was not
    slugs: tuple[str, ...]
    categories: tuple[str, ...]
    kinds: tuple[str, ...]
    signal_account: np.ndarray
    signal_day: np.ndarray
    signal_slug: np.ndarray
    signal_category: np.ndarray
    signal_positive: np.ndarray
    interaction_account: np.ndarray
    interaction_day: np.ndarray
    interaction_kind: np.ndarray
    interaction_by_client: np.ndarray
    contact_account: np.ndarray  # one row per contact met in an interaction
    contact_day: np.ndarray
    contact_id: np.ndarray
    assessment_account: np.ndarray
    assessment_day: np.ndarray
    assessment_relevance: np.ndarray
    assessment_perceived: np.ndarray  # the perceived stage's rank, 0 when not given


@dataclass(frozen=True, eq=False)
class Batch:
    """Evidence arranged for the week-by-week walk.

    Accounts with evidence up to their last day are numbered 0..N-1 in `account_ids` order;
    weeks are numbered from `base`, the first Sunday any account has. Signals and
    interactions are sorted by week, then account, then day, so each week's evidence is one
    slice (`*_bounds[w]:*_bounds[w + 1]`); their `account` columns hold account numbers.
    """

    as_of: datetime.date
    account_ids: np.ndarray
    today: np.ndarray  # each account's last day: as_of, or the day it was lost
    first_week: np.ndarray
    last_week: np.ndarray
    base: int
    slugs: tuple[str, ...]
    categories: tuple[str, ...]
    kinds: tuple[str, ...]
    signal_account: np.ndarray
    signal_day: np.ndarray
    signal_age: np.ndarray  # days between the signal and the end of its week's step
    signal_slug: np.ndarray
    signal_category: np.ndarray
    signal_positive: np.ndarray
    signal_bounds: np.ndarray
    interaction_account: np.ndarray
    interaction_day: np.ndarray
    interaction_age: np.ndarray
    interaction_kind: np.ndarray
    interaction_by_client: np.ndarray
    interaction_bounds: np.ndarray
    contact_account: np.ndarray
    contact_day: np.ndarray
    contact_id: np.ndarray
    assessment_account: np.ndarray  # sorted by account, then day
    assessment_day: np.ndarray
    assessment_relevance: np.ndarray
    assessment_perceived: np.ndarray
    # Distinct days in touch with each account (an interaction, or a positive signal seen),
    # sorted by account, then day: the rhythm of contact reads them.
    touch_account: np.ndarray
    touch_day: np.ndarray

    @property
    def weeks(self) -> int:
        return len(self.signal_bounds) - 1


def ordinals(days: Iterable[datetime.date | None]) -> np.ndarray:
    """Date ordinals (0 for None) as an array."""
    return np.fromiter((day.toordinal() if day else 0 for day in days), dtype=np.int64)


def build(columns: Columns, *, as_of: datetime.date) -> Batch:
    """Arrange the evidence for `standings`, as of `as_of`.

    Evidence dated after an account's last day (as_of, or the day it was lost) is ignored, as
    `score_timeline` ignores it, and so are rows of accounts not in `columns.account_ids`.
    Accounts without evidence up to their last day are left out.
    """
    c = columns
    order = np.argsort(np.asarray(c.account_ids, dtype=np.int64), kind="stable")
    ids = np.asarray(c.account_ids, dtype=np.int64)[order]
    last_day = np.where(c.lost_on[order] > 0, c.lost_on[order], as_of.toordinal())
    last_day = np.minimum(last_day, as_of.toordinal())
    s_pos, s_keep = _kept(ids, last_day, c.signal_account, c.signal_day)
    i_pos, i_keep = _kept(ids, last_day, c.interaction_account, c.interaction_day)
    k_pos, k_keep = _kept(ids, last_day, c.contact_account, c.contact_day)
    a_pos, a_keep = _kept(ids, last_day, c.assessment_account, c.assessment_day)
    dated = ((s_pos, s_keep, c.signal_day), (i_pos, i_keep, c.interaction_day))
    calendar = _Calendar.of(last_day, (*dated, (a_pos, a_keep, c.assessment_day)), as_of)

    # score_timeline takes one account's signals sorted by (day, slug, category, polarity);
    # slug numbers must sort as the slugs do.
    slug_rank = np.argsort(np.argsort(np.array(c.slugs or [""], dtype=object)))
    signal_ties = (c.signal_positive, c.signal_category, slug_rank[c.signal_slug])
    signals = _WeekRows.of(calendar, s_pos, s_keep, c.signal_day, ties=signal_ties)
    interactions = _WeekRows.of(calendar, i_pos, i_keep, c.interaction_day, ties=())
    assessments = _Assessments.of(c, calendar.number[a_pos[a_keep]], a_keep)
    touch_account, touch_day = _touches(signals, signals.pick(c.signal_positive), interactions)
    return Batch(
        as_of=as_of,
        account_ids=ids[calendar.has_evidence],
        today=calendar.today,
        first_week=calendar.first_week,
        last_week=calendar.last_week,
        base=calendar.base,
        slugs=c.slugs,
        categories=c.categories,
        kinds=c.kinds,
        signal_account=signals.account,
        signal_day=signals.day,
        signal_age=signals.age,
        signal_slug=narrow(signals.pick(c.signal_slug)),
        signal_category=narrow(signals.pick(c.signal_category)),
        signal_positive=signals.pick(c.signal_positive),
        signal_bounds=signals.bounds,
        interaction_account=interactions.account,
        interaction_day=interactions.day,
        interaction_age=interactions.age,
        interaction_kind=narrow(interactions.pick(c.interaction_kind)),
        interaction_by_client=interactions.pick(c.interaction_by_client),
        interaction_bounds=interactions.bounds,
        contact_account=calendar.number[k_pos[k_keep]],
        contact_day=day_numbers(c.contact_day[k_keep]),
        contact_id=narrow(c.contact_id[k_keep]),
        assessment_account=assessments.account,
        assessment_day=day_numbers(assessments.day),
        assessment_relevance=narrow(assessments.relevance),
        assessment_perceived=narrow(assessments.perceived),
        touch_account=touch_account,
        touch_day=touch_day,
    )


def day_numbers(values: np.ndarray) -> np.ndarray:
    """Day ordinals in 32 bits, whatever their range (the last, of 31 December 9999, is
    3,652,059): narrower, a date early in year 1 would overflow when the walk adds a week."""
    return np.asarray(values).astype(np.int32, copy=False)


def narrow(values: np.ndarray) -> np.ndarray:
    """Whole numbers in the smallest signed type that holds them all. A batch keeps millions
    of rows whose columns count a week's days (8 bits), number accounts or a few slugs and
    kinds: a quarter to half of the memory 64 bits take. (Days take 32 bits always: `day_numbers`.
    Arithmetic that could overflow a narrow type widens first: see `_touches`.)"""
    if values.dtype.kind not in "iu" or not len(values):
        return values
    low, high = int(values.min()), int(values.max())
    for dtype in (np.int8, np.int16, np.int32):
        limits = np.iinfo(dtype)
        if limits.min <= low and high <= limits.max:
            return values.astype(dtype, copy=False)
    return values


def _kept(
    ids: np.ndarray, last_day: np.ndarray, accounts: np.ndarray, days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's account position in `ids` (sorted), and which rows count: those of a known
    account dated up to its `last_day`."""
    position = np.searchsorted(ids, accounts)
    np.minimum(position, max(len(ids) - 1, 0), out=position)
    position = narrow(position)
    known = (ids[position] == accounts) if len(ids) else np.zeros(len(accounts), bool)
    return position, known & (days <= last_day[position] if len(ids) else known)


@dataclass(frozen=True, eq=False)
class _Calendar:
    """The accounts with evidence, numbered 0..N-1, and the weeks each walks, numbered from
    `base`, the first Sunday any account has."""

    has_evidence: np.ndarray  # by account position: whether it has evidence up to its last day
    number: np.ndarray  # each account position's number (meaningful where it has evidence)
    today: np.ndarray  # each numbered account's last day
    first_week: np.ndarray
    last_week: np.ndarray
    base: int
    weeks: int  # how many weeks the walk takes

    @classmethod
    def of(
        cls,
        last_day: np.ndarray,
        rows: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
        as_of: datetime.date,
    ) -> _Calendar:
        """The calendar of accounts whose last days are `last_day` (by position), given the
        evidence `rows` as (account positions, which rows are kept, days)."""
        first_day = np.full(len(last_day), np.iinfo(np.int64).max)
        for position, keep, days in rows:
            np.minimum.at(first_day, position[keep], days[keep])
        has_evidence = first_day < np.iinfo(np.int64).max
        first_day, today = first_day[has_evidence], last_day[has_evidence]
        start = first_day + (6 - (first_day - 1) % 7)  # the Sunday closing the first day's week
        end = today + (6 - (today - 1) % 7)  # ordinal 1 (1 Jan of year 1) was a Monday
        base = int(start.min()) if len(start) else as_of.toordinal()
        last_week = (end - base) // 7
        return cls(
            has_evidence=has_evidence,
            number=narrow(np.cumsum(has_evidence) - 1),
            today=day_numbers(today),
            first_week=(start - base) // 7,
            last_week=last_week,
            base=base,
            weeks=int(last_week.max()) + 1 if len(last_week) else 0,
        )

    def placed(
        self, positions: np.ndarray, days: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Account numbers, week numbers and ages (days to the week's step end) of rows."""
        accounts = self.number[positions]
        week = (days - self.base + 6) // 7
        age = np.minimum(self.base + 7 * week, self.today[accounts]) - days
        return accounts, week, narrow(age)


@dataclass(frozen=True, eq=False)
class _WeekRows:
    """One kind of evidence kept for the walk, sorted by week, account, day and then its ties,
    so that each week's rows are one slice, `bounds[w]:bounds[w + 1]`."""

    kept: np.ndarray  # which input rows are kept
    order: np.ndarray  # the kept rows' walking order
    account: np.ndarray  # account numbers, in walking order
    day: np.ndarray
    age: np.ndarray  # days between the row and the end of its week's step
    bounds: np.ndarray

    @classmethod
    def of(
        cls,
        calendar: _Calendar,
        positions: np.ndarray,
        kept: np.ndarray,
        dated: np.ndarray,
        *,
        ties: tuple[np.ndarray, ...],
    ) -> _WeekRows:
        """The `kept` rows, at account `positions` on the days `dated`; `ties` are input
        columns that order the rows of one account and day, the last one first."""
        day = day_numbers(dated[kept])
        account, week, age = calendar.placed(positions[kept], day)
        order = narrow(np.lexsort((*(column[kept] for column in ties), day, account, week)))
        return cls(
            kept=kept,
            order=order,
            account=account[order],
            day=day[order],
            age=age[order],
            bounds=np.searchsorted(week[order], np.arange(calendar.weeks + 1)),
        )

    def pick(self, column: np.ndarray) -> np.ndarray:
        """An input column of the kept rows, in walking order."""
        picked: np.ndarray = column[self.kept][self.order]  # numpy types fancy indexing as Any
        return picked


@dataclass(frozen=True, eq=False)
class _Assessments:
    """The assessments kept, sorted by account number, then day."""

    account: np.ndarray
    day: np.ndarray
    relevance: np.ndarray
    perceived: np.ndarray

    @classmethod
    def of(cls, columns: Columns, accounts: np.ndarray, kept: np.ndarray) -> _Assessments:
        """The `kept` rows of `columns`' assessments, whose account numbers are `accounts`."""
        day = columns.assessment_day[kept]
        # Stable: readings of one day keep their order, as score_timeline's sort keeps it.
        order = np.lexsort((day, accounts))
        return cls(
            account=accounts[order],
            day=day[order],
            relevance=columns.assessment_relevance[kept][order],
            perceived=columns.assessment_perceived[kept][order],
        )


def _touches(
    signals: _WeekRows, positive: np.ndarray, interactions: _WeekRows
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct days in touch with each account (an interaction, or a positive signal
    seen), sorted by account, then day: the accounts and the days."""
    # (account, day) pairs packed in one 64-bit number each, worked out in place: at 50,000
    # accounts there are millions.
    parts = (
        (interactions.account, interactions.day),
        (signals.account[positive], signals.day[positive]),
    )
    touch = np.empty(sum(len(account) for account, _ in parts), dtype=np.int64)
    start = 0
    for account, day in parts:
        packed = touch[start : start + len(account)]
        packed[:] = account
        packed *= _DAYS
        packed += day
        start += len(account)
    touch = _distinct(touch, in_place=True)
    accounts = narrow(touch // _DAYS)
    touch %= _DAYS
    return accounts, day_numbers(touch)


def columns_from_evidence(evidence: Mapping[int, Evidence]) -> Columns:
    """The columns of the same evidence `score_timeline` takes, one Evidence per account id."""
    signals = [(pk, s) for pk, e in evidence.items() for s in e.signals]
    interactions = [(pk, i) for pk, e in evidence.items() for i in e.interactions]
    contacts = [(pk, i.occurred_on, c) for pk, i in interactions for c in i.contact_ids]
    assessments = [(pk, a) for pk, e in evidence.items() for a in e.assessments]
    slugs = tuple(sorted({s.slug for _, s in signals}))
    categories = tuple(sorted({s.category for _, s in signals}))
    kinds = tuple(sorted({i.kind for _, i in interactions}))
    slug_number = {slug: index for index, slug in enumerate(slugs)}
    category_number = {category: index for index, category in enumerate(categories)}
    kind_number = {kind: index for index, kind in enumerate(kinds)}

    def ints(values: Iterable[int]) -> np.ndarray:
        return np.fromiter(values, dtype=np.int64)

    return Columns(
        account_ids=ints(evidence),
        lost_on=ordinals(e.lost_on for e in evidence.values()),
        slugs=slugs,
        categories=categories,
        kinds=kinds,
        signal_account=ints(pk for pk, _ in signals),
        signal_day=ordinals(s.observed_on for _, s in signals),
        signal_slug=ints(slug_number[s.slug] for _, s in signals),
        signal_category=ints(category_number[s.category] for _, s in signals),
        signal_positive=np.fromiter((s.polarity > 0 for _, s in signals), dtype=bool),
        interaction_account=ints(pk for pk, _ in interactions),
        interaction_day=ordinals(i.occurred_on for _, i in interactions),
        interaction_kind=ints(kind_number[i.kind] for _, i in interactions),
        interaction_by_client=np.fromiter(
            (i.initiated_by_client for _, i in interactions), dtype=bool
        ),
        contact_account=ints(pk for pk, _, _ in contacts),
        contact_day=ordinals(day for _, day, _ in contacts),
        contact_id=ints(contact for _, _, contact in contacts),
        assessment_account=ints(pk for pk, _ in assessments),
        assessment_day=ordinals(a.assessed_on for _, a in assessments),
        assessment_relevance=ints(a.relevance for _, a in assessments),
        assessment_perceived=ints(
            a.client_perceived_stage.rank if a.client_perceived_stage else 0 for _, a in assessments
        ),
    )


def standings(batch: Batch, profile: Profile, *, drivers: bool = True) -> dict[int, WeekPoint]:
    """Each account's final week, as `score_timeline(...)[-1]` gives it, by account id.

    The point carries the score, stage, decline risk with its drivers, and what the next stage
    needs; the score's contributions are left out (a preview does not show them). Without
    `drivers`, the risks are worked out for all the accounts at once, unnamed: several times
    faster, for the preview and the backtest, which read the risk alone.
    """
    if not len(batch.account_ids):
        return {}
    rules = _Rules.of(batch, profile)
    walked = _walk(batch, rules)
    return _final_weeks(batch, profile, rules, walked, drivers=drivers)


@dataclass(frozen=True, eq=False)
class _Rules:
    """One profile's parameters as the walk applies them, worked out once for the batch.

    Buckets: 0 is contact itself, then each category's positive and negative evidence.
    """

    signs: list[int]  # by bucket: +1 builds trust, -1 erodes it
    # [days 0-7, bucket]: the factor evidence fades by, worked out as curve.py works it out.
    fade: np.ndarray
    signal_weight: np.ndarray  # by signal row: its weight in the profile, before tolerance
    signal_bucket: np.ndarray  # by signal row
    # By kind, and the multiplier of a contact the client began: a week's interactions are
    # weighed as the walk reaches them (a weight per row would be the largest array here).
    kind_weight: np.ndarray
    client_multiplier: float
    # By gated stage: which signal rows open its gate (positive signals with a weight).
    gate_rows: list[np.ndarray]
    gate_windows: list[int]  # by gated stage, days
    ungated: list[bool]  # by gated stage: the profile names no defining signal, so no gate
    thresholds: list[float]  # by gated stage
    lowered: list[float]  # by gated stage: its threshold less the hysteresis, to keep it
    tolerance: np.ndarray  # by stage rank (1 vendor .. 4 virtual partner)
    scale: float

    @classmethod
    def of(cls, batch: Batch, profile: Profile) -> _Rules:
        """The rules of `profile` over the rows of `batch`."""
        p = profile.params
        half_lives = [p["interaction_half_life_days"]]
        for category in batch.categories:
            half_lives += [p["half_life_days"].get(category, 180), p["negative_half_life_days"]]
        fade = np.array([[0.5 ** (days / life) for life in half_lives] for days in range(8)])
        signal_weight = np.array([profile.signal_weight(slug) for slug in batch.slugs] or [0.0])
        kind_weight = np.array(
            [p["interaction_weights"].get(kind, 0.0) for kind in batch.kinds] or [0.0]
        )
        s_weight = signal_weight[batch.signal_slug]
        gate_rows = []
        for target in _GATED:
            slugs = set(p["gates"][target.value])
            defining = np.array([slug in slugs for slug in batch.slugs] or [False])
            gate_rows.append(defining[batch.signal_slug] & batch.signal_positive & (s_weight > 0))
        thresholds = [profile.threshold(target) for target in _GATED]
        return cls(
            signs=[1] + [1, -1] * len(batch.categories),
            fade=fade,
            signal_weight=s_weight,
            signal_bucket=1 + 2 * batch.signal_category.astype(np.int32) + (~batch.signal_positive),
            kind_weight=kind_weight,
            client_multiplier=p["client_initiated_multiplier"],
            gate_rows=gate_rows,
            gate_windows=[p["gate_window_days"][target.value] for target in _GATED],
            ungated=[not p["gates"][target.value] for target in _GATED],
            thresholds=thresholds,
            lowered=[threshold - p["hysteresis"] for threshold in thresholds],
            tolerance=np.array([0.0] + [p["tolerance"][stage.value] for stage in _RANKED]),
            scale=p["score_scale"],
        )


@dataclass(frozen=True, eq=False)
class _Walked:
    """Where the weekly walk leaves every account, and what it keeps of each week."""

    stage: np.ndarray  # each account's stage rank at the end of its last week
    evidence_points: np.ndarray  # E at the end of the last week
    gate_seen: np.ndarray  # [account, gated stage]: the day of the latest defining signal
    # [week, account]: the score of the positive evidence alone, for momentum, and the stage,
    # for the peak stage (as scoring/engine/windows.py remembers them).
    trust_built: np.ndarray
    stages: np.ndarray


def _walk(batch: Batch, rules: _Rules) -> _Walked:
    """Walk every account's weeks at once, one array operation across the portfolio per step,
    in curve.score_timeline's order: evidence fades and arrives, the score, the stage."""
    n = len(batch.account_ids)
    # [account, bucket], stored bucket by bucket: each week sums the buckets one by one.
    points = np.zeros((n, len(rules.signs)), order="F")
    gate_seen = np.full((n, len(_GATED)), _NEVER, dtype=np.int64)
    stage = np.ones(n, dtype=np.int64)  # ranks: 1 vendor .. 4 virtual partner
    trust_built = np.zeros((batch.weeks, n))
    stages = np.zeros((batch.weeks, n), dtype=np.int8)  # ranks 1..4
    evidence_points = np.zeros(n)
    for week in range(batch.weeks):
        sunday = batch.base + 7 * week
        day = np.minimum(sunday, batch.today)
        walking = (batch.first_week <= week) & (week <= batch.last_week)
        # A week's step is 7 days, the last one up to the account's last day; no evidence has
        # arrived before an account's first step, and ended accounts stand still.
        step = np.where(walking & (batch.first_week < week), day - (sunday - 7), 0)
        # Most accounts fade a whole week: one row of factors for all, in place; the few that
        # step less (a last day within the week, or an ended account) get their own factors.
        # (An account yet to start holds no points: any factor leaves it at 0.)
        odd = np.flatnonzero((step != 7) & (batch.first_week < week))
        held = points[odd]
        points *= rules.fade[7]
        points[odd] = held * rules.fade[step[odd]]
        _take_signals(batch, rules, week, points, gate_seen, stage)
        _take_interactions(batch, rules, week, points)
        points[points <= _EPSILON] = 0.0
        evidence_points, positive_points = _evidence_points(points, rules.signs)
        decided = _decide_stages(rules, _score(evidence_points, rules.scale), stage, day, gate_seen)
        stage = np.where(walking, decided, stage)
        trust_built[week] = _score(positive_points, rules.scale)
        stages[week] = stage
    return _Walked(stage, evidence_points, gate_seen, trust_built, stages)


def _take_signals(
    batch: Batch,
    rules: _Rules,
    week: int,
    points: np.ndarray,
    gate_seen: np.ndarray,
    stage: np.ndarray,
) -> None:
    """Add the week's signals to `points` [account, bucket], each faded for its age, and note
    the day of each defining signal in `gate_seen` [account, gated stage]. Negative evidence
    costs the tolerance of the `stage` held when the week began."""
    lo, hi = batch.signal_bounds[week], batch.signal_bounds[week + 1]
    if hi <= lo:
        return
    # Indices as numpy's own index type: ufunc.at takes a slow path for any other.
    account = batch.signal_account[lo:hi].astype(np.intp)
    bucket = rules.signal_bucket[lo:hi].astype(np.intp)
    weight = rules.signal_weight[lo:hi]
    charged = np.where(
        batch.signal_positive[lo:hi], weight, weight * rules.tolerance[stage][account]
    )
    np.add.at(points, (account, bucket), charged * rules.fade[batch.signal_age[lo:hi], bucket])
    for index, defining in enumerate(rules.gate_rows):
        opens = defining[lo:hi]
        if opens.any():
            np.maximum.at(gate_seen[:, index], account[opens], batch.signal_day[lo:hi][opens])


def _take_interactions(batch: Batch, rules: _Rules, week: int, points: np.ndarray) -> None:
    """Add the week's contacts to the engagement bucket of `points`, each faded for its age."""
    lo, hi = batch.interaction_bounds[week], batch.interaction_bounds[week + 1]
    if hi > lo:
        weight = rules.kind_weight[batch.interaction_kind[lo:hi]] * np.where(
            batch.interaction_by_client[lo:hi], rules.client_multiplier, 1.0
        )
        np.add.at(
            points[:, 0],
            batch.interaction_account[lo:hi].astype(np.intp),
            weight * rules.fade[batch.interaction_age[lo:hi], 0],
        )


def _evidence_points(points: np.ndarray, signs: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Each account's E, summed bucket by bucket in a fixed order, and the points of its
    positive evidence alone."""
    evidence_points = np.zeros(len(points))
    positive_points = np.zeros(len(points))
    for bucket, sign in enumerate(signs):
        if sign > 0:
            evidence_points += points[:, bucket]
            positive_points += points[:, bucket]
        else:
            evidence_points -= points[:, bucket]
    return evidence_points, positive_points


def _decide_stages(
    rules: _Rules, score: np.ndarray, stage: np.ndarray, day: np.ndarray, gate_seen: np.ndarray
) -> np.ndarray:
    """stages.decide_stage for every account at once: the ranks of the highest stage whose
    threshold (lowered by the hysteresis when held) the score meets and whose gate is open."""
    decided = np.ones(len(score), dtype=np.int64)
    for index, target in enumerate(_GATED):
        needed = np.where(stage >= target.rank, rules.lowered[index], rules.thresholds[index])
        gate_open = rules.ungated[index] or (day - gate_seen[:, index] < rules.gate_windows[index])
        decided[gate_open & (score >= needed)] = target.rank
    return decided


def _final_weeks(
    batch: Batch, profile: Profile, rules: _Rules, walked: _Walked, *, drivers: bool
) -> dict[int, WeekPoint]:
    """Each account's last week by account id, with its decline risk and next-stage gap."""
    p = profile.params
    last = batch.last_week
    final = _score(walked.evidence_points, rules.scale)
    built = walked.trust_built[last, np.arange(len(last))]
    best = _best_of(walked.trust_built, batch.first_week, last, p["momentum_weeks"])
    peak = _best_of(walked.stages, batch.first_week, last, PEAK_STAGE_WEEKS)
    readings = _RiskReadings.of(batch, p, rules.signal_weight)
    gate_open_now = [
        rules.ungated[index]
        | (batch.today - walked.gate_seen[:, index] < rules.gate_windows[index])
        for index in range(len(_GATED))
    ]
    gap_words = StageGaps(
        thresholds={stage: profile.threshold(stage) for stage in Stage},
        gates={target: list(p["gates"][target.value]) for target in _GATED},
        gate_window_days={target: p["gate_window_days"][target.value] for target in _GATED},
    )
    risks = (
        None
        if drivers
        else readings.risks(
            p, score_drop=best - built, stage=walked.stage, peak_stage=peak
        ).tolist()
    )
    # Read as plain lists once: indexing arrays one element at a time costs more than the rest.
    ranks, scores = walked.stage.tolist(), final.tolist()
    points = walked.evidence_points.tolist()
    sundays = (batch.base + 7 * last).tolist()
    gates = list(zip(*(column.tolist() for column in gate_open_now), strict=True))
    days: dict[int, datetime.date] = {}
    result = {}
    for index, pk in enumerate(batch.account_ids.tolist()):
        held, score, gates_open = _STAGE_OF_RANK[ranks[index]], scores[index], gates[index]
        if risks is None:
            risk, named = decline_risk(
                readings.risk_inputs(
                    index,
                    score_drop=float(best[index] - built[index]),
                    stage=held,
                    peak_stage=_STAGE_OF_RANK[peak[index]],
                ),
                p,
            )
        else:
            risk, named = risks[index], ()
        gap = gap_words.for_gates(held, score, gates_open)
        sunday = sundays[index]
        if (week := days.get(sunday)) is None:
            week = days[sunday] = datetime.date.fromordinal(sunday)
        result[pk] = WeekPoint(week, score, held, risk, (), named, gap, points[index])
    return result


def _distinct(values: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """np.unique by sorting: numpy's hashing unique is several times slower on a million
    integers. With `in_place`, `values` (the caller's own) is sorted where it is, not copied."""
    ordered = values if in_place else np.sort(values)
    if in_place:
        ordered.sort()
    return (
        ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered
    )


def _best_of(weekly: np.ndarray, first: np.ndarray, last: np.ndarray, length: int) -> np.ndarray:
    """Each account's largest value of `weekly` over its last `length` weeks up to `last`
    (never before its `first`), as windows._RunningMax keeps it."""
    columns = np.arange(weekly.shape[1])
    best: np.ndarray = weekly[last, columns].copy()  # numpy types fancy indexing as Any
    for back in range(1, length):
        week = last - back
        inside = week >= first
        if not inside.any():
            break
        best = np.where(inside, np.maximum(best, weekly[np.maximum(week, 0), columns]), best)
    return best


def _score(evidence_points: np.ndarray, scale: float) -> np.ndarray:
    """curve.score_from_evidence for every account at once."""
    positive = np.maximum(evidence_points, 0.0)
    return np.where(evidence_points > 0, 100.0 * positive / (positive + scale), 0.0)


@dataclass(frozen=True, eq=False)
class _RiskReadings:
    """What the risk drivers read on each account's last day, as curve.py's windows hold it,
    by account number."""

    today: np.ndarray
    last_contact: np.ndarray  # _NEVER when there never was contact
    # The gaps between the distinct contact days within the rhythm window: how many, their
    # sum and their sum of squares (what windows.usual_gap reads).
    gaps: np.ndarray
    sum_gaps: np.ndarray
    sum_squares: np.ndarray
    engaged: np.ndarray  # distinct contacts met within the contact window
    negative_points: np.ndarray  # the other negative signals within their window, full weight
    negatives_named: dict[int, list[str]]  # their slugs, by account (none: left out)
    warned: dict[int, list[tuple[int, str]]]  # unanswered warnings as (day, slug), by account
    # The latest reading of relevance, where it is within the relevance window (`current`).
    relevance: np.ndarray
    relevance_current: np.ndarray
    relevance_peak: np.ndarray  # since the reading in force when the window opened
    perceived_rank: np.ndarray  # the client's view of the stage while current, 0 when none

    @classmethod
    def of(cls, batch: Batch, params: Mapping[str, Any], s_weight: np.ndarray) -> _RiskReadings:
        """The readings of every account of `batch`; `s_weight` is each signal row's weight."""
        last_contact, gaps, sum_gaps, sum_squares = _rhythm(batch, params)
        negative_points, negatives_named = _recent_negatives(batch, params, s_weight)
        relevance, current, relevance_peak, perceived_rank = _relevance_and_view(batch, params)
        return cls(
            today=batch.today,
            last_contact=last_contact,
            gaps=gaps,
            sum_gaps=sum_gaps,
            sum_squares=sum_squares,
            engaged=_engaged_contacts(batch, params),
            negative_points=negative_points,
            negatives_named=negatives_named,
            warned=_unanswered_warnings(batch, params),
            relevance=relevance,
            relevance_current=current,
            relevance_peak=relevance_peak,
            perceived_rank=perceived_rank,
        )

    def risk_inputs(
        self, index: int, *, score_drop: float, stage: Stage, peak_stage: Stage
    ) -> RiskInputs:
        """The drivers' inputs for account number `index`, with what the walk says of it."""
        today, last_contact = int(self.today[index]), int(self.last_contact[index])
        relevance = int(self.relevance[index]) if self.relevance_current[index] else None
        warned, named = self.warned.get(index), self.negatives_named.get(index)
        return RiskInputs(
            days_since_contact=today - last_contact if last_contact != _NEVER else None,
            usual_gap_days=usual_gap(
                float(self.sum_gaps[index]), float(self.sum_squares[index]), int(self.gaps[index])
            ),
            score_drop=score_drop,
            relevance=relevance,
            relevance_fall=int(self.relevance_peak[index]) - relevance if relevance else 0,
            recent_negative_points=float(self.negative_points[index]),
            stage=stage,
            perceived_stage=_STAGE_OF_RANK.get(int(self.perceived_rank[index])),
            recent_contacts=int(self.engaged[index]) or None,
            warnings=latest_warnings(warned, today) if warned else (),
            negatives_named=signals_in_words(named) if named else "",
            peak_stage=peak_stage,
        )

    def risks(
        self,
        params: Mapping[str, Any],
        *,
        score_drop: np.ndarray,
        stage: np.ndarray,
        peak_stage: np.ndarray,
    ) -> np.ndarray:
        """Every account's decline risk at once (stages by rank), as `risk.decline_risk`
        totals its drivers from `risk_inputs`, without naming them: each driver's own risk
        where it is measured (0 elsewhere), combined in the same order."""
        weights = params["risk_weights"]
        today = self.today
        total = np.zeros(len(today))

        def add(points: np.ndarray) -> None:
            nonlocal total
            total = total + -np.log1p(-np.minimum(points / 100, MAX_SHARE))

        add(self._warnings(params))
        ratio = (self.negative_points / params["negatives_half_points"]) ** 2
        add(np.where(self.negative_points > 0, weights["negatives"] * ratio / (1 + ratio), 0.0))
        add(self._silence(params, peak_stage))
        intensity = np.clip(
            (score_drop - MOMENTUM_NOISE) / (params["momentum_full_drop"] - MOMENTUM_NOISE), 0, 1
        )
        add(np.where(score_drop > MOMENTUM_NOISE, weights["momentum"] * intensity, 0.0))
        current = self.relevance_current.astype(bool)
        relevance = np.where(current, self.relevance, 0)
        fall = np.where(current, self.relevance_peak - relevance, 0)
        add(
            np.where(
                current, weights["relevance"] * np.clip((3 - relevance) / 2 + fall / 4, 0, 1), 0.0
            )
        )
        plateau = (fall > 0) & (peak_stage >= Stage.CONSULTANT.rank)
        lifted = np.clip((4 - relevance) / 2 + fall / 4, 0, 1)
        add(np.where(plateau, weights["plateau"] * lifted, 0.0))
        seen = self.perceived_rank
        gap = np.clip(np.abs(seen - stage) / 2, 0, 1)
        add(np.where((seen > 0) & (seen != stage), weights["perception_gap"] * gap, 0.0))
        few = np.where(self.engaged == 1, 1.0, 0.3)
        alone = (self.engaged > 0) & (self.engaged <= 2)
        add(np.where(alone, weights["single_threaded"] * few, 0.0))
        return np.where(total > 0, 100 * -np.expm1(-total), 0.0)

    def _warnings(self, params: Mapping[str, Any]) -> np.ndarray:
        """The warnings driver, account by account where there are warnings (few have any)."""
        carried = params["warning_signals"]
        points = np.zeros(len(self.today))
        for index, warned in self.warned.items():
            safe = math.prod(
                1 - carried.get(slug, 0) / 100
                for slug, _ in latest_warnings(warned, int(self.today[index]))
            )
            points[index] = 100 * (1 - safe)
        return points

    def _silence(self, params: Mapping[str, Any], peak_stage: np.ndarray) -> np.ndarray:
        """The silence driver: days without contact against the usual silence."""
        contact = self.last_contact != _NEVER
        days = np.where(contact, self.today - self.last_contact, 0)
        known = (self.gaps >= MIN_GAPS) & (self.sum_gaps > 0)
        usual_gap = np.where(known, self.sum_squares / np.where(known, self.sum_gaps, 1), 0.0)
        usual = np.maximum(MIN_RHYTHM_DAYS, np.where(usual_gap > 0, usual_gap, DEFAULT_RHYTHM_DAYS))
        missed = days / usual - 1
        full_ratio = np.array([0.0, *(params["silence_full_ratio"][s.value] for s in _RANKED)])[
            peak_stage
        ]
        cycles = missed / (full_ratio - 1)
        kept = 1 - params["risk_weights"]["silence"] / 100
        return np.where(contact & (missed > 0), 100 * (1 - kept ** np.maximum(cycles, 0)), 0.0)


def _rhythm(
    batch: Batch, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Contact (interactions, and the days positive signals were seen): each account's last
    day of it, and the count, sum and sum of squares of the gaps between its distinct contact
    days within the rhythm window."""
    n = len(batch.account_ids)
    touch_account, touch_day = batch.touch_account, batch.touch_day
    last_contact = np.full(n, _NEVER)
    # Touches are sorted by account, then day: each account's last row is its latest day.
    if len(touch_account):
        ends = np.flatnonzero(np.append(touch_account[1:] != touch_account[:-1], True))
        last_contact[touch_account[ends]] = touch_day[ends]
    recent = batch.today[touch_account] - touch_day < params["rhythm_window_days"]
    pair_account, pair_day = touch_account[recent], touch_day[recent]
    same = pair_account[1:] == pair_account[:-1]
    gap = (pair_day[1:] - pair_day[:-1])[same].astype(float)
    gap_account = pair_account[1:][same]
    return (
        last_contact,
        np.bincount(gap_account, minlength=n),
        np.bincount(gap_account, weights=gap, minlength=n),
        np.bincount(gap_account, weights=gap * gap, minlength=n),
    )


def _engaged_contacts(batch: Batch, params: Mapping[str, Any]) -> np.ndarray:
    """Each account's distinct contacts met within the contact window (0 when no interaction
    there named a contact)."""
    engaged = batch.today[batch.contact_account] - batch.contact_day < params["contact_window_days"]
    account, person = batch.contact_account[engaged], batch.contact_id[engaged]
    # Distinct (account, person) pairs by sorting: ids are 64-bit, too wide to pack a pair in
    # one number.
    order = np.lexsort((person, account))
    account, person = account[order], person[order]
    first = np.ones(len(account), dtype=bool)
    first[1:] = (account[1:] != account[:-1]) | (person[1:] != person[:-1])
    return np.bincount(account[first], minlength=len(batch.account_ids))


def _warns(batch: Batch, params: Mapping[str, Any]) -> np.ndarray:
    """By slug number: whether the signal warns on its own."""
    warning_risk = params["warning_signals"]
    return np.array([warning_risk.get(slug, 0) > 0 for slug in batch.slugs] or [False])


def _recent_negatives(
    batch: Batch, params: Mapping[str, Any], s_weight: np.ndarray
) -> tuple[np.ndarray, dict[int, list[str]]]:
    """The negative signals that do not warn on their own, within their window: each
    account's points at full weight (before tolerance), and their slugs."""
    age = batch.today[batch.signal_account] - batch.signal_day
    negative = ~batch.signal_positive & ~_warns(batch, params)[batch.signal_slug] & (s_weight > 0)
    negative &= age < params["negatives_window_days"]
    negative_points = np.bincount(
        batch.signal_account[negative], weights=s_weight[negative], minlength=len(batch.today)
    )
    named: dict[int, list[str]] = {}
    for account, slug in zip(
        batch.signal_account[negative].tolist(), batch.signal_slug[negative].tolist(), strict=True
    ):
        named.setdefault(account, []).append(batch.slugs[slug])
    return negative_points, named


def _unanswered_warnings(
    batch: Batch, params: Mapping[str, Any]
) -> dict[int, list[tuple[int, str]]]:
    """Signals that warn on their own within their window, as (day, slug) by account, unless
    a resolving positive signal came after them."""
    age = batch.today[batch.signal_account] - batch.signal_day
    warning = ~batch.signal_positive & _warns(batch, params)[batch.signal_slug]
    warning &= age < params["warning_window_days"]
    resolvers = params["warning_resolved_by"]
    resolving = {slug for slugs in resolvers.values() for slug in slugs}
    is_resolving = np.array([slug in resolving for slug in batch.slugs] or [False])
    answers: dict[tuple[int, str], list[int]] = {}  # (account, resolving slug): days
    shown = batch.signal_positive & is_resolving[batch.signal_slug]
    shown &= np.isin(batch.signal_account, _distinct(batch.signal_account[warning]))
    for account, day, slug in zip(
        batch.signal_account[shown].tolist(),
        batch.signal_day[shown].tolist(),
        batch.signal_slug[shown].tolist(),
        strict=True,
    ):
        answers.setdefault((account, batch.slugs[slug]), []).append(day)
    warned: dict[int, list[tuple[int, str]]] = {}
    for account, day, slug in zip(
        batch.signal_account[warning].tolist(),
        batch.signal_day[warning].tolist(),
        batch.signal_slug[warning].tolist(),
        strict=True,
    ):
        name = batch.slugs[slug]
        answered = any(
            later > day
            for resolver in resolvers.get(name, ())
            for later in answers.get((account, resolver), ())
        )
        if not answered:
            warned.setdefault(account, []).append((day, name))
    return warned


def _relevance_and_view(
    batch: Batch, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Relevance: each account's latest reading, whether it is current (one older than the
    window says nothing about relevance now), and the peak since the reading in force when the
    window opened; and the rank of the client's view of the stage while it is current (0 if
    none)."""
    n, today = len(batch.account_ids), batch.today
    a_account, a_day = batch.assessment_account, batch.assessment_day
    a_relevance, a_perceived = batch.assessment_relevance, batch.assessment_perceived
    count = np.bincount(a_account, minlength=n)
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    latest = first + count - 1
    window = params["relevance_window_days"]
    expired = np.bincount(a_account, weights=today[a_account] - a_day >= window, minlength=n)
    position = np.arange(len(a_account)) - first[a_account]
    kept = position >= np.maximum(expired.astype(np.int64) - 1, 0)[a_account]
    peak = np.zeros(n, dtype=np.int64)
    np.maximum.at(peak, a_account[kept], a_relevance[kept])
    assessed = count > 0
    current = np.zeros(n, dtype=bool)
    current[assessed] = today[assessed] - a_day[latest[assessed]] < window
    relevance = np.zeros(n, dtype=np.int64)
    relevance[assessed] = a_relevance[latest[assessed]]

    perceived_day = np.full(n, _NEVER)
    perceived_rank = np.zeros(n, dtype=np.int64)
    given = a_perceived > 0
    np.maximum.at(perceived_day, a_account[given], a_day[given])
    is_latest_view = given & (a_day == perceived_day[a_account])
    perceived_rank[a_account[is_latest_view]] = a_perceived[is_latest_view]
    perceived_rank[today - perceived_day >= params["perception_window_days"]] = 0
    return relevance, current, peak, perceived_rank
