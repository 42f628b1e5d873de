"""Reads of scores about accounts, as the pages show them: an account's latest standing and
weekly history, the stage the client perceives, the rows of the account list.

Each read is a fixed number of queries, whatever the size of the portfolio or the length of an
account's history. Callers pass accounts they got through `accounts.access`.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, F, Max, Min, OrderBy, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.access import User, accounts_visible_to
from accounts.folding import contains_folded
from accounts.models import Account, AccountStatus
from relationships.models import Assessment, Contact, Interaction, TrustSignal
from scoring.charts import HistoryPoint, SignalMark
from scoring.engine import Stage
from scoring.engine.curve import week_ending
from scoring.engine.explain import risk_driver_label, rounded_parts
from scoring.models import ScoreSnapshot, ScoringProfile

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# How far back the trend arrows of the account list and the account page look.
TREND_WEEKS = 4


@dataclass(frozen=True)
class Standing:
    """An account's standing in one week under the active profile."""

    score: float  # 0-100
    stage: Stage
    decline_risk: float  # 0-100
    week_ending: datetime.date
    next_stage_gap: str = ""  # in words
    trend: float | None = None  # score change over TREND_WEEKS; None without that much history


# What a Standing is read from, after the account id.
STANDING_FIELDS = (
    "account_id",
    "week_ending",
    "score",
    "stage",
    "decline_risk",
    "next_stage_gap",
)


def _standing(fields: Sequence) -> Standing:
    week, score, stage, risk, gap = fields
    return Standing(score, Stage(stage), risk, week, readable_gap(gap))


def standing_of(account_id: int) -> Standing | None:
    """The account's latest standing under the active profile (one query)."""
    row = (
        ScoreSnapshot.objects.filter(account_id=account_id, profile__is_active=True, is_latest=True)
        .values_list(*STANDING_FIELDS[1:])
        .first()
    )
    return None if row is None else _standing(row)


def score_history(*, account: Account, profile: ScoringProfile) -> list[HistoryPoint]:
    """The account's weekly standing, oldest first (one query)."""
    rows = (
        ScoreSnapshot.objects.filter(account=account, profile=profile)
        .order_by("week_ending")
        .values_list("week_ending", "score", "stage", "decline_risk")
    )
    return [HistoryPoint(*row) for row in rows]


def standing_latest(*, account: Account, profile: ScoringProfile) -> ScoreSnapshot | None:
    """The account's newest weekly snapshot under `profile` (one indexed query)."""
    return ScoreSnapshot.objects.filter(account=account, profile=profile, is_latest=True).first()


def signal_marks(*, account: Account) -> list[SignalMark]:
    rows = (
        TrustSignal.objects.filter(account=account)
        .order_by("observed_on")
        .values_list("observed_on", "signal_type__name", "signal_type__polarity")
    )
    return [SignalMark(*row) for row in rows]


@dataclass(frozen=True)
class PerceivedStage:
    stage: Stage
    said_on: datetime.date


@dataclass(frozen=True)
class ClientView:
    """The latest assessment (its relevance reading), and the stage the client perceives as
    the decline risk reads it (None: the risk reads none, so it charges no perception gap)."""

    latest: Assessment | None
    perceived: PerceivedStage | None = None


def client_view(
    *, account: Account, profile: ScoringProfile, today: datetime.date | None = None
) -> ClientView:
    """What the account's facts say of the client's view, in step with the engine
    (scoring/engine/curve.py): the perceived stage is the one of the latest assessment that
    gave one, an assessment without one does not clear it, and it lapses once it is
    `perception_window_days` old (the profile's) on the day the standing is scored for:
    today, or the day a lost account was lost. One query.
    """
    day = today or timezone.localdate()
    if account.lost_on is not None and account.lost_on < day:
        day = account.lost_on
    said = (
        Assessment.objects.filter(account=OuterRef("account"), assessed_on__lte=day)
        .exclude(client_perceived_stage="")
        .order_by("-assessed_on")
    )
    latest = (
        account.assessments.order_by("-assessed_on")
        .annotate(
            perceived_on=Subquery(said.values("assessed_on")[:1]),
            perceived_stage=Subquery(said.values("client_perceived_stage")[:1]),
        )
        .first()
    )
    if latest is None or latest.perceived_on is None:
        return ClientView(latest)
    if (day - latest.perceived_on).days >= profile.params["perception_window_days"]:
        return ClientView(latest)
    return ClientView(latest, PerceivedStage(Stage(latest.perceived_stage), latest.perceived_on))


# The account list's sort keys (the `sort` query parameter) and what each orders by.
ACCOUNT_SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "name": ("name", "pk"),
    "score": (F("score").asc(nulls_first=True), "name"),
    "-score": (F("score").desc(nulls_last=True), "name"),
    "risk": (F("decline_risk").asc(nulls_first=True), "name"),
    "-risk": (F("decline_risk").desc(nulls_last=True), "name"),
    "contact": (F("last_contact_on").asc(nulls_first=True), "name"),
    "-contact": (F("last_contact_on").desc(nulls_last=True), "name"),
    # Soonest (or longest overdue) next step first; accounts without a dated step last.
    "next": (F("next_step_due").asc(nulls_last=True), "name"),
    "-next": (F("next_step_due").desc(nulls_last=True), "name"),
}


class AccountRowAnnotations(TypedDict):
    """What `account_rows_for` adds to each account."""

    score: float | None
    decline_risk: float | None
    last_contact_on: datetime.date | None
    recent_contacts: int | None
    recent_first_on: datetime.date | None


def account_rows_for(
    user: User,
    *,
    rhythm_window_days: int,
    search: str = "",
    sort: str = "name",
    today: datetime.date | None = None,
    include_closed: bool = False,
) -> QuerySet[WithAnnotations[Account, AccountRowAnnotations]]:
    """The rows of the account list, searchable by name or industry, or by the name or email
    of a person at the client (the row then names the first such person), ignoring case and
    accents, and sortable. Only active accounts unless `include_closed` (lost and archived
    ones too).

    Each row carries its latest score and decline risk (under the active profile), its last
    contact and the number and first date of contacts in the rhythm window (the active
    profile's `rhythm_window_days`, as the engine's silence driver measures it). Correlated
    subqueries on indexed columns, so a page of 50 rows costs the same whatever the portfolio.
    """
    today = today or timezone.localdate()
    latest = ScoreSnapshot.objects.filter(
        account=OuterRef("pk"), is_latest=True, profile__is_active=True
    )
    interactions = Interaction.objects.filter(account=OuterRef("pk")).order_by()
    window = interactions.filter(
        occurred_on__gte=today - datetime.timedelta(days=rhythm_window_days)
    )
    rows = (
        accounts_visible_to(user)
        .select_related("owner")
        .annotate(
            score=Subquery(latest.values("score")[:1]),
            decline_risk=Subquery(latest.values("decline_risk")[:1]),
            last_contact_on=Subquery(
                interactions.order_by("-occurred_on").values("occurred_on")[:1]
            ),
            recent_contacts=Subquery(
                window.values("account").annotate(n=Count("pk")).values("n")[:1]
            ),
            recent_first_on=Subquery(window.order_by("occurred_on").values("occurred_on")[:1]),
        )
    )
    if not include_closed:
        rows = rows.filter(status=AccountStatus.ACTIVE)
    if search.strip():
        term = search.strip()
        people = Contact.objects.filter(
            contains_folded("name", term) | contains_folded("email", term),
            account=OuterRef("pk"),
        ).order_by("name")
        rows = rows.annotate(matched_contact=Subquery(people.values("name")[:1])).filter(
            contains_folded("name", term)
            | contains_folded("industry", term)
            | Q(matched_contact__isnull=False)
        )
    return rows.order_by(*ACCOUNT_SORTS.get(sort, ACCOUNT_SORTS["name"]))


def standings_for(accounts: Iterable[Account]) -> dict[int, Standing]:
    """Latest stage, gap and trend for one page of accounts (two queries, any page size)."""
    ids = [account.pk for account in accounts]
    latest = list(
        ScoreSnapshot.objects.filter(account_id__in=ids, is_latest=True, profile__is_active=True)
        .order_by()
        .values_list(*STANDING_FIELDS)
    )
    earlier_weeks = {row[1] - datetime.timedelta(weeks=TREND_WEEKS) for row in latest}
    earlier = (
        {
            (account_id, week): score
            for account_id, week, score in ScoreSnapshot.objects.filter(
                account_id__in=ids, profile__is_active=True, week_ending__in=earlier_weeks
            )
            .order_by()
            .values_list("account_id", "week_ending", "score")
        }
        if latest
        else {}
    )
    standings = {}
    for account_id, *fields in latest:
        standing = _standing(fields)
        before = earlier.get(
            (account_id, standing.week_ending - datetime.timedelta(weeks=TREND_WEEKS))
        )
        if before is not None:
            standing = dataclasses.replace(standing, trend=standing.score - before)
        standings[account_id] = standing
    return standings


def risk_drivers_shown(snapshot: ScoreSnapshot) -> list[dict[str, Any]]:
    """The snapshot's risk drivers as the account page lists them: each with its plain label,
    its detail and its points as whole numbers that add up to the decline risk shown; drivers
    worth nothing once rounded are left out."""
    drivers = snapshot.risk_drivers
    shown = rounded_parts([points for _, points, _ in drivers], snapshot.decline_risk)
    return [
        {"key": key, "label": risk_driver_label(key), "points": points, "detail": detail}
        for (key, _, detail), points in zip(drivers, shown, strict=True)
        if points
    ]


def contributions_shown(snapshot: ScoreSnapshot) -> list[dict[str, Any]]:
    """What adds up to the snapshot's score, as the account page lists it: each category in
    words with its points (whole numbers adding up to the score shown) and the signals behind
    it; categories worth nothing once rounded are left out."""
    parts = snapshot.contributions
    shown = rounded_parts([points for _, points, _ in parts], snapshot.score)
    return [
        {
            "key": key.replace("_", " "),
            "points": points,
            "signals": [slug.replace("_", " ") for slug in slugs],
        }
        for (key, _, slugs), points in zip(parts, shown, strict=True)
        if points
    ]


def readable_gap(gap: str) -> str:
    """The engine names signal types by slug; people read their words."""
    return gap.replace("_", " ")


def usual_rhythm_days(account: WithAnnotations[Account, AccountRowAnnotations]) -> float | None:
    """The account's usual gap between contacts in days, from the rhythm-window annotations of
    `account_rows_for`; None with fewer than two contacts in the window."""
    return rhythm_from(
        count=account.recent_contacts, first=account.recent_first_on, last=account.last_contact_on
    )


def rhythm_from(
    *, count: int | None, first: datetime.date | None, last: datetime.date | None
) -> float | None:
    """The usual gap between contacts in days, from the number of contacts in the rhythm
    window and the first and last of them; None with fewer than two."""
    if not count or count < 2 or first is None or last is None:
        return None
    return max((last - first).days / (count - 1), 1.0)


@dataclass(frozen=True)
class ContactRhythm:
    last_contact_on: datetime.date
    rhythm_days: float  # the usual gap between contacts, in days

    def days_silent(self, today: datetime.date) -> int:
        return (today - self.last_contact_on).days


def contact_rhythms(
    *, account_ids: AccountIds, rhythm_window_days: int, today: datetime.date
) -> dict[int, ContactRhythm]:
    """The last contact and usual rhythm of each of the accounts that has one (two contacts
    or more in the rhythm window), as `usual_rhythm_days` measures it; one grouped query over
    the window's interactions, for a whole portfolio at once."""
    rows = (
        Interaction.objects.filter(
            account_id__in=account_ids,
            occurred_on__gte=today - datetime.timedelta(days=rhythm_window_days),
        )
        .order_by()
        .values("account_id")
        .annotate(count=Count("pk"), first=Min("occurred_on"), last=Max("occurred_on"))
        .values_list("account_id", "count", "first", "last")
    )
    rhythms = {}
    for account_id, count, first, last in rows:
        rhythm = rhythm_from(count=count, first=first, last=last)
        if rhythm is not None:
            rhythms[account_id] = ContactRhythm(last, rhythm)
    return rhythms


# Accounts by id: a list, or a query of their ids (`.values("pk")`), which the database reads
# as a subquery, for a whole portfolio.
AccountIds = Collection[int] | QuerySet[Any]

# Silence counts as overdue once it is this much longer than the account's usual rhythm and
# at least a week long (daily contact that pauses over a weekend is not neglect).
OVERDUE_FACTOR = 1.5
OVERDUE_MIN_DAYS = 7


def contact_overdue(*, days_since_contact: int | None, rhythm_days: float | None) -> bool:
    """Whether an account has been silent past its usual rhythm (`usual_rhythm_days`)."""
    if days_since_contact is None or rhythm_days is None:
        return False
    return days_since_contact > contact_overdue_after_days(rhythm_days)


def contact_overdue_after_days(rhythm_days: float) -> float:
    """Days of silence after which contact is overdue, for an account's usual rhythm."""
    return max(rhythm_days * OVERDUE_FACTOR, OVERDUE_MIN_DAYS)


@dataclass(frozen=True)
class StandingMove:
    """An account whose standing went the wrong way since an earlier day: down a stage, or
    into the high risk band."""

    account_id: int
    week_ending: datetime.date  # of the latest standing
    stage_before: Stage
    stage_now: Stage
    risk_band_before: str
    risk_band_now: str
    decline_risk: float  # 0-100

    @property
    def stage_dropped(self) -> bool:
        return self.stage_now.rank < self.stage_before.rank

    @property
    def became_high_risk(self) -> bool:
        return self.risk_band_now == "high" and self.risk_band_before != "high"


def standings_moved_down(
    *, account_ids: AccountIds, since: datetime.date, profile: ScoringProfile
) -> list[StandingMove]:
    """Accounts among `account_ids` whose latest standing under `profile` (the active one)
    sits a stage lower, or newly in the high risk band, compared with its standing in the week
    of `since` (two queries, any number of accounts). A change within the week of `since`
    itself is not seen: a week's standing is rewritten in place as evidence arrives."""
    ids = account_ids
    engine_profile = profile.engine_profile()
    before_week = week_ending(since)
    latest = list(
        ScoreSnapshot.objects.filter(account_id__in=ids, profile=profile, is_latest=True)
        .order_by()
        .values_list("account_id", "week_ending", "stage", "decline_risk")
    )
    earlier = {
        account_id: (stage, risk)
        for account_id, stage, risk in ScoreSnapshot.objects.filter(
            account_id__in=ids, profile=profile, week_ending=before_week
        )
        .order_by()
        .values_list("account_id", "stage", "decline_risk")
    }
    moves = []
    for account_id, week, stage, risk in latest:
        if account_id not in earlier or week <= before_week:
            continue
        stage_before, risk_before = earlier[account_id]
        move = StandingMove(
            account_id=account_id,
            week_ending=week,
            stage_before=Stage(stage_before),
            stage_now=Stage(stage),
            risk_band_before=engine_profile.risk_band(risk_before),
            risk_band_now=engine_profile.risk_band(risk),
            decline_risk=risk,
        )
        if move.stage_dropped or move.became_high_risk:
            moves.append(move)
    return moves
