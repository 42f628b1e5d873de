"""Background tasks, run by `manage.py db_worker`."""

from django_tasks import task

from scoring.rollouts import rollout_execute


@task()
def profile_rollout_run(rollout_id: int) -> None:
    """Recompute a scoring profile version's history, then make it live."""
    rollout_execute(rollout_id)
