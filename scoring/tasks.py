"""Background tasks, run by `manage.py db_worker`."""

from django_tasks import task

from scoring.backtest_runs import backtest_execute
from scoring.rollouts import rollout_execute


@task()
def profile_rollout_run(rollout_id: int) -> None:
    """Recompute a scoring profile version's history, then make it live."""
    rollout_execute(rollout_id)


@task()
def backtest_run(run_id: int) -> None:
    """Backtest a scoring profile version against the accounts actually lost."""
    backtest_execute(run_id)
