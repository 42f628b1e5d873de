"""The rollout job: making a scoring profile version live without stopping anyone's work.

Applying a draft (or rolling back to an earlier version) computes that version's whole weekly
history in the background, in chunks that each commit and that any worker may claim
(scoring/jobs/recompute.py), so progress shows and no account stays locked for long.
Meanwhile every rescore after a write also scores the version being rolled out, so nothing
logged during the run is missed. Only when every chunk is done does the version become the
active one: dashboards switch to it complete, never half-computed. A failed chunk fails the
rollout and leaves the previous version active; starting it again recomputes.
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accounts.models import Account
from scoring.jobs.recompute import recompute_queue
from scoring.models import (
    ProfileChange,
    ProfileRollout,
    RecomputeJob,
    ScoreSnapshot,
    ScoringProfile,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


class RolloutBusy(Exception):
    """Another version is being rolled out; one at a time."""


def profile_rollout_start(*, profile: ScoringProfile, actor: User | None = None) -> ProfileRollout:
    """Queue the rollout of `profile` (a draft being applied, or an earlier version coming
    back); the worker does the rest. The version is frozen from now on."""
    with transaction.atomic():
        profile = ScoringProfile.objects.select_for_update().get(pk=profile.pk)
        if ProfileRollout.objects.filter(is_open=True).exists():
            raise RolloutBusy("Another version is being rolled out; wait for it to finish.")
        if profile.is_active:
            raise RolloutBusy(f"Version {profile.version} is already live.")
        if not profile.frozen:
            profile.frozen = True
            profile.save(update_fields=["frozen"])
        rollout = ProfileRollout.objects.create(
            profile=profile, requested_by=actor, accounts_total=Account.objects.count()
        )
        was_used = ScoreSnapshot.objects.filter(profile=profile).exists()
        ProfileChange.objects.create(
            profile=profile,
            actor=actor,
            action=ProfileChange.Action.ROLLED_BACK if was_used else ProfileChange.Action.APPLIED,
            summary=(
                f"{'Rollback' if was_used else 'Apply'} requested: recomputing the history "
                "before it goes live"
            ),
        )
        transaction.on_commit(lambda: profile_rollout_run.enqueue(rollout.pk))
    return rollout


def rollout_execute(rollout_id: int, *, as_of: datetime.date | None = None) -> ProfileRollout:
    """The worker's part: queue the version's history as chunks (scoring/jobs/recompute.py);
    whichever worker finishes the last chunk makes the version live."""
    rollout = ProfileRollout.objects.select_related("profile").get(pk=rollout_id)
    if not rollout.is_open or hasattr(rollout, "job"):
        return rollout  # already finished or already queued (a task delivered twice)
    try:
        with transaction.atomic():
            job = recompute_queue(
                profile=rollout.profile,
                kind=RecomputeJob.Kind.ROLLOUT,
                as_of=as_of,
                rollout=rollout,
            )
            ProfileRollout.objects.filter(pk=rollout.pk).update(
                accounts_total=job.accounts_total, accounts_done=0
            )
    except Exception as error:
        logger.exception("Rolling out scoring profile v%s failed", rollout.profile.version)
        ProfileRollout.objects.filter(pk=rollout.pk).update(
            status=ProfileRollout.Status.FAILED,
            is_open=False,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}",
        )
        raise
    rollout.refresh_from_db()
    return rollout


@task()
def profile_rollout_run(rollout_id: int) -> None:
    """The worker's task: recompute a scoring profile version's history, then make it live."""
    rollout_execute(rollout_id)
