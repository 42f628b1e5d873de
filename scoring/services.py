"""Writes for scoring: computing snapshots for one account or the whole portfolio.

Both paths lock the accounts they score (FOR NO KEY UPDATE, which does not block new
interactions referencing the account) and read the evidence inside that lock, so a rescore
and a full recompute never write over each other and the later one always sees the latest
evidence.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import gc
import logging
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Account
from config.bulk import id_chunks, insert_rows
from scoring.engine import Evidence, Profile, flatten, score_timeline
from scoring.engine.curve import first_week, week_ending
from scoring.models import ProfileChange, ScoreSnapshot, ScoringProfile, StandingLine
from scoring.portfolio import snapshots_write
from scoring.selectors import evidence_for_accounts, profile_active
from scoring.snapshots import SNAPSHOT_FIELDS, SnapshotEncoder
from scoring.standing_events import Latest, standings_watch
from scoring.standing_lines import accounts_lock, lines_rebuild, lines_refresh

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecomputeResult:
    profile_version: int
    accounts: int
    snapshots: int


def scores_recompute(
    *,
    profile: ScoringProfile | None = None,
    account_ids: Collection[int] | None = None,
    as_of: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    roll: bool = False,
) -> RecomputeResult:
    """Replace the weekly snapshots of `account_ids` (None: every account) under `profile`.

    All in one transaction: an interrupted run leaves the previous snapshots as they were, and
    running it again gives the same rows. `progress` is called with the number of accounts
    scored since the last call; `workers` caps the processes used (None: one per core).

    With `roll`, an account keeps its stored weeks before its latest one, and only its latest
    week on is written (the week in progress closes; the weeks since are added). Every write
    of evidence rescores its account whole and a profile version is scored whole, so those
    weeks cannot have changed, and the rows come out as a full recompute's (a change to the
    model's code clears the snapshots in a migration, as 0008 did). An account without a
    standing gets its whole history; one whose latest week is after `as_of`'s is left alone.
    """
    profile = profile or profile_active()
    as_of = as_of or timezone.localdate()
    engine_profile = profile.engine_profile()
    with transaction.atomic(), _no_cyclic_gc():
        locked, evidence = _locked_evidence(account_ids)
        if not profile.frozen:
            ScoringProfile.objects.filter(pk=profile.pk).update(frozen=True)
            profile.frozen = True
        since: dict[int, datetime.date] = {}
        if roll:  # where each account's roll starts; one already past `as_of` stays as it is
            since, ahead = _roll_starts(profile, evidence, as_of)
            locked = [pk for pk in locked if pk not in ahead]
            evidence = {pk: account for pk, account in evidence.items() if pk not in ahead}
        # Standings before, to tell the webhooks which accounts changed stage or risk band.
        watch = standings_watch(
            profile=profile, account_ids=None if account_ids is None else locked
        )
        _snapshots_clear(profile, locked, since)
        rows = snapshots_write(
            evidence=evidence,
            profile_id=profile.pk,
            engine_profile=engine_profile,
            as_of=as_of,
            progress=progress,
            workers=workers,
            since=since,
        )
        _after_write(profile, None if account_ids is None else locked)
        if watch is not None:
            watch.emit(account_ids=None if account_ids is None else locked)
    return RecomputeResult(profile.version, len(evidence), rows)


def _after_write(profile: ScoringProfile, account_ids: list[int] | None) -> None:
    """The dashboard's lines of the accounts written (None: every account), and after a
    whole portfolio, fresh statistics."""
    if account_ids is not None:
        # A version not live has no lines; one going live meanwhile waits for these accounts.
        if ScoringProfile.objects.filter(pk=profile.pk, is_active=True).exists():
            lines_refresh(account_ids=account_ids)
        return
    lines_rebuild(profile=profile)
    statistics_refresh()


def statistics_refresh() -> None:
    """Fresh statistics after a bulk write keep the one-account queries on their indexes
    (autovacuum may be slow to notice, or off)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (ScoreSnapshot, StandingLine):
                cursor.execute(f"ANALYZE {model._meta.db_table}")


def _locked_evidence(
    account_ids: Collection[int] | None,
) -> tuple[list[int], dict[int, Evidence]]:
    """Lock `account_ids` (None: every account) and read their evidence: the ids locked, in
    order, and the evidence of each."""
    accounts = Account.objects.select_for_update(no_key=True).order_by("pk")
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    locked = list(accounts.values_list("pk", flat=True))
    evidence = evidence_for_accounts(account_ids=None if account_ids is None else locked)
    # Only the accounts locked above are this run's to score. One added since (the lock
    # cannot cover it) is rescored by the writes made to it; clearing or writing its
    # snapshots here would undo that rescore or clash with it.
    if len(evidence) != len(locked):
        held = set(locked)
        evidence = {pk: account for pk, account in evidence.items() if pk in held}
    return locked, evidence


def _roll_starts(
    profile: ScoringProfile, evidence: Mapping[int, Evidence], as_of: datetime.date
) -> tuple[dict[int, datetime.date], set[int]]:
    """Where a roll starts each account of `evidence` under `profile`: at its latest stored
    week, when its stored weeks start at the week of its first evidence (as scoring gives
    them); and the accounts whose latest week is past `as_of`'s, to leave alone. Any other
    account (not scored yet, or whose stored weeks no longer match its evidence) is scored
    whole. Two index lookups per account, however long its history (so a week deleted by
    hand from the middle of a history goes unnoticed; nothing in the app deletes one)."""
    weeks = ScoreSnapshot.objects.filter(profile=profile, account_id=OuterRef("pk"))
    first = weeks.order_by("week_ending").values("week_ending")[:1]
    last = weeks.order_by("-week_ending").values("week_ending")[:1]
    this_week, since, ahead = week_ending(as_of), {}, set()
    for part in id_chunks(list(evidence), spare=2):  # the profile, in each subquery
        stored = (
            Account.objects.filter(pk__in=part)
            .order_by()
            .annotate(first=Subquery(first), last=Subquery(last))
            .values_list("pk", "first", "last")
        )
        for pk, first_stored, last_stored in stored:
            if last_stored is None:
                continue  # nothing stored: scored whole
            if last_stored > this_week:
                ahead.add(pk)
            elif first_stored == first_week(evidence[pk], as_of=as_of):
                since[pk] = last_stored
    return since, ahead


def _snapshots_clear(
    profile: ScoringProfile, account_ids: list[int], since: Mapping[int, datetime.date]
) -> None:
    """Delete the snapshots under `profile` of `account_ids` that are about to be written: of
    an account in `since`, its weeks from that one on; of any other, all of them. A few
    DELETEs (nothing cascades from snapshots): one per piece of ids and week."""
    by_week: dict[datetime.date | None, list[int]] = {}
    for pk in account_ids:
        by_week.setdefault(since.get(pk), []).append(pk)
    for week, ids in by_week.items():
        for part in id_chunks(ids, spare=2):  # the profile and a week
            stale = ScoreSnapshot.objects.filter(profile=profile, account_id__in=part)
            (stale if week is None else stale.filter(week_ending__gte=week)).delete()


def profiles_being_scored() -> list[ScoringProfile]:
    """The active version first, then any version being rolled out: every write rescores
    under both, so the rollout misses nothing written while it runs."""
    profiles = [profile_active()]
    profiles += ScoringProfile.objects.filter(rollouts__is_open=True).exclude(pk=profiles[0].pk)
    return profiles


def account_rescore(*, account_id: int, as_of: datetime.date | None = None) -> int:
    """Recompute one account's weekly history under the active profile, and under a version
    being rolled out (so the rollout misses nothing written meanwhile); returns the weeks
    under the active profile."""
    profiles = profiles_being_scored()
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        if not Account.objects.select_for_update(no_key=True).filter(pk=account_id).exists():
            return 0  # deleted meanwhile: its snapshots went with it
        evidence = evidence_for_accounts(account_ids=[account_id])[account_id]
        watch = standings_watch(profile=profiles[0], account_ids=[account_id])
        weeks = 0
        for profile in profiles:
            ScoreSnapshot.objects.filter(account_id=account_id, profile=profile).delete()
            timeline = score_timeline(evidence, profile.engine_profile(), as_of=as_of)
            rows = SnapshotEncoder().rows(account_id, profile.pk, timeline)
            insert_rows(ScoreSnapshot, SNAPSHOT_FIELDS, rows)
            if watch is not None and profile == watch.profile and timeline:
                watch.emit(after={account_id: Latest.of(timeline[-1])})
            weeks = weeks or len(timeline)
        lines_refresh(account_ids=[account_id])
        return weeks


# Profiles --------------------------------------------------------------------------------


class ProfileFrozen(Exception):
    """The version has been active or scored: changes must go into a new version."""


class ProfileStale(Exception):
    """Someone saved the draft since it was opened; saving would overwrite their edit."""


def profile_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{dotted parameter: [before, after]} for every parameter that differs."""
    old, new = flatten(before), flatten(after)
    return {
        path: [old.get(path), new.get(path)]
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    }


def profile_create(
    *, params: Mapping[str, Any], created_by: User | None = None, note: str = ""
) -> ScoringProfile:
    """A new draft version with `params` (validated as a whole; raises ProfileError)."""
    Profile.from_dict(params)
    with transaction.atomic():
        latest = ScoringProfile.objects.select_for_update().order_by("-version").first()
        return ScoringProfile.objects.create(
            version=(latest.version + 1) if latest else 1,
            params=dict(params),
            created_by=created_by,
            note=note,
        )


def profile_draft(
    *, source: ScoringProfile, actor: User | None = None, note: str = ""
) -> ScoringProfile:
    """A new draft that starts from `source`'s parameters (the active version or any other)."""
    with transaction.atomic():
        draft = profile_create(params=source.params, created_by=actor, note=note)
        ProfileChange.objects.create(
            profile=draft,
            actor=actor,
            action=ProfileChange.Action.DRAFTED,
            summary=f"Draft v{draft.version} started from v{source.version}",
        )
    return draft


def profile_update(
    *,
    profile: ScoringProfile,
    params: Mapping[str, Any],
    actor: User | None = None,
    seen_revision: int | None = None,
) -> ScoringProfile:
    """Change a draft's parameters; a frozen version refuses (make a new version instead), and
    so does a draft saved by someone else since `seen_revision`."""
    Profile.from_dict(params)
    with transaction.atomic():
        current = ScoringProfile.objects.select_for_update().get(pk=profile.pk)
        if current.frozen:
            raise ProfileFrozen(f"Version {current.version} is in use; save a new version.")
        if seen_revision is not None and current.revision != seen_revision:
            raise ProfileStale(
                f"Draft v{current.version} was saved by someone else since you opened it. "
                "Reopen it to see their changes, then make yours again."
            )
        diff = profile_diff(current.params, params)
        current.params = dict(params)
        current.revision += 1
        current.save(update_fields=["params", "revision"])
        if diff:
            ProfileChange.objects.create(
                profile=current,
                actor=actor,
                action=ProfileChange.Action.EDITED,
                summary=f"{len(diff)} parameter{'s' if len(diff) != 1 else ''} changed",
                diff=diff,
            )
    return current


def profile_activate(*, profile: ScoringProfile) -> ScoringProfile:
    """Make `profile` the one active version (it is frozen from now on). Every account whose
    stage or risk band differs under it is announced to the webhooks."""
    with transaction.atomic():
        # Every account first, in the order every write locks them: a write meanwhile
        # finishes before, or starts after and finds this version live, so the lines rebuilt
        # below are all of them (scoring/standing_lines.py). Then the live version, which
        # serializes the versions going live: FOR NO KEY UPDATE, so that a row that refers
        # to it (a snapshot, a tally folded meanwhile) can still be written.
        accounts_lock()
        live = ScoringProfile.objects.select_for_update(no_key=True).filter(is_active=True).first()
        watch = None
        if live is not None and live.pk != profile.pk:
            watch = standings_watch(profile=live, account_ids=None)
        ScoringProfile.objects.filter(is_active=True).update(is_active=False)
        ScoringProfile.objects.filter(pk=profile.pk).update(is_active=True, frozen=True)
        profile.refresh_from_db()
        lines_rebuild(profile=profile)
        if watch is not None:
            watch.emit(account_ids=None, after_profile=profile)
    return profile


# Rescoring after a write -------------------------------------------------------------------

_pending = threading.local()


def account_rescore_on_commit(account_id: int) -> None:
    """Rescore `account_id` once the current transaction commits (once per account, however
    many of its rows the transaction wrote)."""
    _pending_ids().add(account_id)
    transaction.on_commit(functools.partial(_rescore_pending, account_id))


def account_rescore_now(*, account_id: int) -> int:
    """Rescore `account_id` inside the current transaction, so the caller can read the new
    standing at once (to tell the user what their entry changed). A rescore already queued
    for the commit is dropped: this one has seen every write made so far."""
    weeks = account_rescore(account_id=account_id)
    _pending_ids().discard(account_id)
    return weeks


def forget_pending_rescores(account_ids: Collection[int]) -> None:
    """Drop the rescores queued for these accounts: the caller has just rescored them within
    the same transaction (a bulk import, say), after its last write."""
    _pending_ids().difference_update(account_ids)


def _pending_ids() -> set[int]:
    if not hasattr(_pending, "ids"):
        _pending.ids = set()
    return _pending.ids


def _rescore_pending(account_id: int) -> None:
    # The first callback of a commit for an account rescores it; the others find it done. An
    # id left by a rolled-back transaction stays until a later write to that account commits.
    pending = _pending_ids()
    if account_id not in pending:
        return
    pending.discard(account_id)
    try:
        account_rescore(account_id=account_id)
    except Exception:
        # The user's write has already committed; a failed rescore must not turn it into an
        # error page. The worker tries again: until then the account's weeks do not match its
        # evidence (the daily roll would notice only a change of its first week).
        logger.exception("Rescoring account %s failed; queued for the worker", account_id)
        _rescore_later(account_id)


def _rescore_later(account_id: int) -> None:
    from scoring.jobs.recompute import account_rescore_run  # the jobs build on this module

    try:
        account_rescore_run.enqueue(account_id)
    except Exception:
        logger.exception("Could not queue the rescore of account %s either", account_id)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: a recompute holds millions of small objects that
    it would scan over and over (nearly half the run time) while finding nothing to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
