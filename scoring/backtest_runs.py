"""Backtests run by the worker: every account scored under a version and under the live one,
compared on the accounts actually lost (the comparison itself is scoring/backtest.py)."""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from scoring.backtest import Backtest
from scoring.engine import score_timeline
from scoring.models import BacktestRun, ScoringProfile
from scoring.selectors import evidence_for_accounts

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


def backtest_start(*, profile: ScoringProfile, actor: User | None = None):
    """Queue a backtest of `profile` against the active version."""
    from scoring.tasks import backtest_run

    with transaction.atomic():
        run = BacktestRun.objects.create(
            profile=profile,
            baseline=ScoringProfile.objects.get(is_active=True),
            requested_by=actor,
        )
        transaction.on_commit(lambda: backtest_run.enqueue(run.pk))
    return run


def backtest_execute(run_id: int, *, as_of: datetime.date | None = None):
    """The worker's part: score every account's history under both versions and compare
    their warnings on the lost accounts."""
    run = BacktestRun.objects.select_related("profile", "baseline").get(pk=run_id)
    as_of = as_of or timezone.localdate()
    try:
        versions = {"profile": run.profile, "baseline": run.baseline or run.profile}
        engines = {key: version.engine_profile() for key, version in versions.items()}
        tests = {
            key: Backtest(high=engine["risk_bands"]["high"], as_of=as_of)
            for key, engine in engines.items()
        }
        names = dict(Account.objects.values_list("pk", "name"))
        for account_id, evidence in evidence_for_accounts().items():
            for key, engine in engines.items():
                tests[key].add(
                    account_id=account_id,
                    name=names.get(account_id, ""),
                    lost_on=evidence.lost_on,
                    timeline=score_timeline(evidence, engine, as_of=as_of),
                )
        result = {key: test.summary.as_dict() for key, test in tests.items()}
        BacktestRun.objects.filter(pk=run.pk).update(
            status=BacktestRun.Status.DONE, finished_at=timezone.now(), result=result
        )
    except Exception as error:
        logger.exception("Backtesting scoring profile v%s failed", run.profile.version)
        BacktestRun.objects.filter(pk=run.pk).update(
            status=BacktestRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}",
        )
        raise
    run.refresh_from_db()
    return run
