from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _queue_catch_up(sender, using, **kwargs) -> None:
    """After migrating, bring quiet accounts up to this week (the worker then keeps them
    there daily); see scoring/jobs/catch_up.py."""
    if using != "default":
        return
    from scoring.jobs.catch_up import catch_up_schedule

    catch_up_schedule()


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Scoring"

    def ready(self) -> None:
        from scoring import receivers  # noqa: F401  (connects the rescoring receivers)

        post_migrate.connect(_queue_catch_up, sender=self)
