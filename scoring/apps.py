from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _queue_catch_up(sender, using, **kwargs) -> None:
    """After migrating, bring quiet accounts up to this week (the worker then keeps them
    there daily); see scoring/jobs/catch_up.py."""
    if using != "default":
        return
    from scoring.jobs.catch_up import catch_up_schedule

    catch_up_schedule()


def _build_missing_lines(sender, using, **kwargs) -> None:
    """After migrating, build the dashboard's lines if the live version has standings but no
    lines (a database from before them); see scoring/standing_lines.py."""
    if using != "default":
        return
    from scoring.standing_lines import lines_missing_build

    lines_missing_build()


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Scoring"

    def ready(self) -> None:
        from scoring import receivers  # noqa: F401  (connects the rescoring receivers)

        post_migrate.connect(_build_missing_lines, sender=self)
        post_migrate.connect(_queue_catch_up, sender=self)
