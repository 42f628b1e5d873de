"""Reads of accounts. Who may see which account is decided in accounts/access.py."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.access import User, accounts_visible_to
from accounts.models import Account
from accounts.roles import ACCOUNT_MANAGER
from relationships.models import Interaction
from scoring.engine import Stage
from scoring.models import ScoreSnapshot


def account_managers() -> QuerySet[AbstractBaseUser]:
    """Who may own an account or have one shared with them: active account managers. The
    team form on the account page offers these, and the CSV import accepts only these."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=ACCOUNT_MANAGER)
        .order_by("first_name", "last_name", "username")
    )


# The account list's sort keys (the `sort` query parameter) and what each orders by.
ACCOUNT_SORTS = {
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
# How far back the usual rhythm of contact is measured (as the engine's silence driver does).
RHYTHM_WINDOW = datetime.timedelta(days=365)
# How far back the trend arrow looks.
TREND_WEEKS = 4


def account_rows_for(
    user: User, *, search: str = "", sort: str = "name", today: datetime.date | None = None
) -> QuerySet[Account]:
    """The rows of the account list, searchable by name or industry and sortable.

    Each row carries its latest score and decline risk (under the active profile), its last
    contact and the number and first date of contacts in the rhythm window. Correlated
    subqueries on indexed columns, so a page of 50 rows costs the same whatever the portfolio.
    """
    today = today or timezone.localdate()
    latest = ScoreSnapshot.objects.filter(
        account=OuterRef("pk"), is_latest=True, profile__is_active=True
    )
    interactions = Interaction.objects.filter(account=OuterRef("pk")).order_by()
    window = interactions.filter(occurred_on__gte=today - RHYTHM_WINDOW)
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
    if search.strip():
        term = search.strip()
        rows = rows.filter(Q(name__icontains=term) | Q(industry__icontains=term))
    return rows.order_by(*ACCOUNT_SORTS.get(sort, ACCOUNT_SORTS["name"]))


@dataclass(frozen=True)
class Standing:
    """What the account list shows of an account's latest snapshot."""

    stage: Stage
    week_ending: datetime.date
    next_stage_gap: str
    trend: float | None  # score change over TREND_WEEKS, None without that much history


def standings_for(accounts: Iterable[Account]) -> dict[int, Standing]:
    """Latest stage, gap and trend for one page of accounts (two queries, any page size)."""
    ids = [account.pk for account in accounts]
    latest = list(
        ScoreSnapshot.objects.filter(account_id__in=ids, is_latest=True, profile__is_active=True)
        .order_by()
        .values_list("account_id", "profile_id", "week_ending", "score", "stage", "next_stage_gap")
    )
    earlier_weeks = {row[2] - datetime.timedelta(weeks=TREND_WEEKS) for row in latest}
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
    for account_id, _, week, score, stage, gap in latest:
        before = earlier.get((account_id, week - datetime.timedelta(weeks=TREND_WEEKS)))
        standings[account_id] = Standing(
            Stage(stage), week, readable_gap(gap), None if before is None else score - before
        )
    return standings


def readable_gap(gap: str) -> str:
    """The engine names signal types by slug; people read their words."""
    return gap.replace("_", " ")


def usual_rhythm_days(account: Account) -> float | None:
    """The account's usual gap between contacts in days, from the rhythm-window annotations of
    `account_rows_for`; None with fewer than two contacts in the window."""
    count, first, last = account.recent_contacts, account.recent_first_on, account.last_contact_on
    if not count or count < 2 or first is None or last is None:
        return None
    return max((last - first).days / (count - 1), 1.0)
