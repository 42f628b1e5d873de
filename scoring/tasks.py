"""Background tasks, run by `manage.py db_worker`."""

from django.utils import timezone
from django_tasks import task

from scoring.backtest_runs import backtest_execute
from scoring.freshness import catch_up_schedule, next_daily_run, scores_catch_up
from scoring.rollouts import rollout_execute


@task()
def profile_rollout_run(rollout_id: int) -> None:
    """Recompute a scoring profile version's history, then make it live."""
    rollout_execute(rollout_id)


@task()
def backtest_run(run_id: int) -> None:
    """Backtest a scoring profile version against the accounts actually lost."""
    backtest_execute(run_id)


@task()
def scores_catch_up_run() -> None:
    """Roll quiet accounts into the current week, then queue tomorrow's run."""
    try:
        scores_catch_up()
    finally:
        catch_up_schedule(run_after=next_daily_run(timezone.localdate()))
