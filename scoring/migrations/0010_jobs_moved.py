"""Each background job now lives in one module (scoring/jobs/) with the function that queues
it. Tasks already queued under the old paths point at the new ones, so a worker started after
the upgrade runs them instead of failing to import them."""

from django.db import migrations

MOVED = {
    "scoring.tasks.profile_rollout_run": "scoring.jobs.rollout.profile_rollout_run",
    "scoring.tasks.backtest_run": "scoring.jobs.backtest_run.backtest_run",
    "scoring.tasks.scores_catch_up_run": "scoring.jobs.catch_up.scores_catch_up_run",
}


def _rename(apps, renames: dict[str, str]) -> None:
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in renames.items():
        DBTaskResult.objects.filter(task_path=old).update(task_path=new)


def forwards(apps, schema_editor):
    _rename(apps, MOVED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0009_scoring_admin_permissions"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
