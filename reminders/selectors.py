"""What is due for a person today, computed from what the app knows: next steps due or
overdue, accounts silent past their usual rhythm, accounts that moved down a stage or into the
high risk band since the last digest, and for a sales lead the whole team's and the accounts
with no next step.

A fixed number of queries per person, whatever the size of the portfolio. Only active accounts
count: a lost (or archived) account is not neglected, it is gone.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import zlib
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Account, AccountStatus
from accounts.roles import SALES_LEAD, user_has_role
from reminders.models import DigestSent, MarkState, ReminderMark
from scoring.models import ScoringProfile
from scoring.standings import (
    contact_overdue,
    contact_overdue_after_days,
    contact_rhythms,
    standings_moved_down,
)

# How far back "since the last reminder" reaches for someone who never had one.
FIRST_LOOK_BACK = datetime.timedelta(weeks=1)


class Kind(enum.Enum):
    NEXT_STEP = "next_step"
    SILENT = "silent"
    STAGE_DOWN = "stage_down"
    HIGH_RISK = "high_risk"
    NO_NEXT_STEP = "no_next_step"

    @property
    def heading(self) -> str:
        return {
            Kind.NEXT_STEP: "Next steps due",
            Kind.SILENT: "Silent past their usual rhythm",
            Kind.STAGE_DOWN: "Moved down a stage",
            Kind.HIGH_RISK: "Now at high decline risk",
            Kind.NO_NEXT_STEP: "No next step planned",
        }[self]


@dataclass(frozen=True)
class Reminder:
    """One thing due for a person about one account."""

    kind: Kind
    account_id: int
    account_name: str
    owner_name: str
    text: str  # what is due, in words
    due_on: datetime.date  # when it was due (or became true)
    fact: str  # what raised it; a new fact is a new reminder
    mine: bool  # the person's own account, rather than their team's

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.account_id}:{self.fact}"[:120]

    def overdue_days(self, today: datetime.date) -> int:
        return (today - self.due_on).days


@dataclass(frozen=True)
class Inbox:
    """A person's reminders for one day, those they already dealt with left out."""

    today: datetime.date
    reminders: list[Reminder]
    leads_team: bool

    @property
    def count(self) -> int:
        return len(self.reminders)

    @property
    def mine(self) -> list[Reminder]:
        return [reminder for reminder in self.reminders if reminder.mine]

    @property
    def team(self) -> list[Reminder]:
        return [reminder for reminder in self.reminders if not reminder.mine]

    def by_kind(self, reminders: list[Reminder]) -> list[tuple[Kind, list[Reminder]]]:
        return [
            (kind, [reminder for reminder in reminders if reminder.kind is kind])
            for kind in Kind
            if any(reminder.kind is kind for reminder in reminders)
        ]


@dataclass(frozen=True)
class AccountBrief:
    """What a reminder says of its account, read for a whole portfolio in one light query."""

    pk: int
    name: str
    owner_id: int
    owner_name: str
    next_step: str
    next_step_due: datetime.date | None
    updated_on: datetime.date  # the last change to the account's record


def _briefs(scope: QuerySet[Account]) -> list[AccountBrief]:
    rows = scope.order_by("name").values_list(
        "pk",
        "name",
        "owner_id",
        "owner__first_name",
        "owner__last_name",
        "owner__username",
        "next_step",
        "next_step_due",
        "updated_at",
    )
    return [
        AccountBrief(
            pk,
            name,
            owner_id,
            f"{first} {last}".strip() or username,
            step,
            due,
            timezone.localtime(updated).date(),
        )
        for pk, name, owner_id, first, last, username, step, due, updated in rows
    ]


def leads_team(user: User) -> bool:
    """Whether the person is reminded of the whole team's accounts: sales leads (and
    superusers), who read the whole portfolio and hand accounts out."""
    return user.is_superuser or user_has_role(user, SALES_LEAD)


def accounts_in_scope(user: User) -> QuerySet[Account]:
    """The active accounts a person is reminded of: their own, or a lead's whole team's."""
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    return active if leads_team(user) else active.filter(owner=user)


def _next_steps(user: User, accounts: list[AccountBrief], today: datetime.date) -> list[Reminder]:
    due = [a for a in accounts if a.next_step_due is not None and a.next_step_due <= today]
    return [
        Reminder(
            kind=Kind.NEXT_STEP,
            account_id=account.pk,
            account_name=account.name,
            owner_name=account.owner_name,
            text=account.next_step,
            due_on=account.next_step_due,
            # A new step (its words or its date) is a new reminder, whatever was done with
            # the last one.
            fact=f"{account.next_step_due.isoformat()}:{zlib.crc32(account.next_step.encode()):08x}",
            mine=account.owner_id == user.pk,
        )
        for account in due
        if account.next_step_due is not None
    ]


def _no_next_step(user: User, accounts: list[AccountBrief], today: datetime.date) -> list[Reminder]:
    bare = [a for a in accounts if not a.next_step or a.next_step_due is None]
    return [
        Reminder(
            kind=Kind.NO_NEXT_STEP,
            account_id=account.pk,
            account_name=account.name,
            owner_name=account.owner_name,
            text="No dated next step: plan what happens next.",
            due_on=today,
            # Raised again after the account's record changes and still has no step: a
            # dismissal holds for the situation it was given for, not for ever.
            fact=f"none:{account.updated_on.isoformat()}",
            mine=account.owner_id == user.pk,
        )
        for account in bare
    ]


def _silent(
    user: User, accounts: list[AccountBrief], today: datetime.date, profile: ScoringProfile
) -> list[Reminder]:
    rhythms = contact_rhythms(
        account_ids=accounts_in_scope(user).values("pk"),
        rhythm_window_days=profile.params["rhythm_window_days"],
        today=today,
    )
    reminders = []
    for account in accounts:
        rhythm = rhythms.get(account.pk)
        if rhythm is None:
            continue
        silent_days = rhythm.days_silent(today)
        if not contact_overdue(days_since_contact=silent_days, rhythm_days=rhythm.rhythm_days):
            continue
        overdue_after = datetime.timedelta(days=int(contact_overdue_after_days(rhythm.rhythm_days)))
        reminders.append(
            Reminder(
                kind=Kind.SILENT,
                account_id=account.pk,
                account_name=account.name,
                owner_name=account.owner_name,
                text=f"No contact for {silent_days} days; usually every {rhythm.rhythm_days:.0f}.",
                due_on=rhythm.last_contact_on + overdue_after,
                fact=rhythm.last_contact_on.isoformat(),
                mine=account.owner_id == user.pk,
            )
        )
    return reminders


def last_reminded_on(user: User, today: datetime.date) -> datetime.date:
    """The day of the person's last digest before `today` (a week back if none)."""
    last = (
        DigestSent.objects.filter(user=user, on__lt=today)
        .order_by("-on")
        .values_list("on", flat=True)
        .first()
    )
    return last or today - FIRST_LOOK_BACK


def _moved_down(
    user: User, accounts: list[AccountBrief], today: datetime.date, profile: ScoringProfile
) -> list[Reminder]:
    by_id = {account.pk: account for account in accounts}
    since = last_reminded_on(user, today)
    reminders = []
    scope = accounts_in_scope(user).values("pk")
    for move in standings_moved_down(account_ids=scope, since=since, profile=profile):
        account = by_id.get(move.account_id)
        if account is None:  # became active between the two reads: next time
            continue
        about = Reminder(
            kind=Kind.STAGE_DOWN,
            account_id=account.pk,
            account_name=account.name,
            owner_name=account.owner_name,
            text=f"From {move.stage_before.label} to {move.stage_now.label}.",
            due_on=min(move.week_ending, today),
            fact=f"{move.week_ending.isoformat()}:{move.stage_now.value}",
            mine=account.owner_id == user.pk,
        )
        if move.stage_dropped:
            reminders.append(about)
        if move.became_high_risk:
            text = f"Decline risk {move.decline_risk:.0f} (was {move.risk_band_before})."
            fact = move.week_ending.isoformat()
            reminders.append(dataclasses.replace(about, kind=Kind.HIGH_RISK, text=text, fact=fact))
    return reminders


def reminders_computed(
    user: User, today: datetime.date, profile: ScoringProfile | None = None
) -> list[Reminder]:
    """Everything due for the person today, before their marks are applied, under the active
    scoring profile (`profile`, if the caller has it already)."""
    profile = profile or ScoringProfile.objects.get(is_active=True)
    accounts = _briefs(accounts_in_scope(user))
    reminders = _next_steps(user, accounts, today) + _silent(user, accounts, today, profile)
    reminders += _moved_down(user, accounts, today, profile)
    if leads_team(user):
        reminders += _no_next_step(user, accounts, today)
    # Own accounts first, then by how long each has been due, oldest first.
    return sorted(reminders, key=lambda r: (not r.mine, r.due_on, r.account_name, r.kind.value))


def hidden_keys(user: User, today: datetime.date) -> set[str]:
    """Keys of the person's reminders marked done or dismissed, or snoozed past today."""
    marks = ReminderMark.objects.filter(user=user).filter(
        Q(state__in=[MarkState.DONE, MarkState.DISMISSED]) | Q(until__gt=today)
    )
    return set(marks.values_list("key", flat=True))


def inbox_for(user: User, today: datetime.date, *, profile: ScoringProfile | None = None) -> Inbox:
    """The person's reminders for `today`, leaving out those they dealt with (seven queries,
    six with the active `profile` given, whatever the size of the portfolio)."""
    hidden = hidden_keys(user, today)
    reminders = [r for r in reminders_computed(user, today, profile) if r.key not in hidden]
    return Inbox(today=today, reminders=reminders, leads_team=leads_team(user))
