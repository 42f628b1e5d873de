"""The background recomputes: `python manage.py recompute_jobs [list | resume ID | cancel ID]`.

A recompute on the queue (`recompute_scores --queue`, a version's rollout, the daily catch-up)
is a job of chunks (scoring/jobs/recompute.py). `list` shows the latest jobs with how many
accounts each touched; `resume` queues again the chunks of a job that never finished (a
chunk that failed; a worker killed in the middle of one, which the running workers also
queue again by themselves after `CHUNK_LOST_AFTER`); `cancel` ends a job, and a rollout with
it, leaving the live version as it was.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from scoring.jobs.recompute import CannotResume, job_fail, job_resume
from scoring.models import RecomputeJob


class Command(BaseCommand):
    help = "List, resume or cancel the background recomputes."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action")
        listing = actions.add_parser("list", help="The latest jobs (the default).")
        listing.add_argument("--limit", type=int, default=20)
        for name, text in (
            ("resume", "Queue again the chunks of a job that have not finished."),
            ("cancel", "End a job now; a rollout with it (the live version stays)."),
        ):
            action = actions.add_parser(name, help=text)
            action.add_argument("job", type=int, metavar="ID")

    def handle(self, *args, action=None, job=None, limit=20, **options) -> None:
        if action in (None, "list"):
            self._list(limit)
            return
        found = RecomputeJob.objects.filter(pk=job).first()
        if found is None:
            raise CommandError(f"No recompute job {job}; `recompute_jobs list` shows them.")
        if action == "resume":
            try:
                queued = job_resume(found)
            except CannotResume as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"Job {found.pk}: {queued} chunk{'' if queued == 1 else 's'} queued.")
        else:
            if not found.is_open:
                raise CommandError(f"Job {found.pk} has already ended ({found.status}).")
            job_fail(found.pk, "Cancelled by an operator")
            self.stdout.write(f"Job {found.pk} cancelled.")

    def _list(self, limit: int) -> None:
        jobs = RecomputeJob.objects.select_related("profile")[:limit]
        if not jobs:
            self.stdout.write("No recompute jobs yet.")
            return
        for job in jobs:
            ended = job.finished_at and timezone.localtime(job.finished_at)
            finished = f", ended {ended:%Y-%m-%d %H:%M}" if ended else ""
            self.stdout.write(
                f"{job.pk:>6}  {timezone.localtime(job.requested_at):%Y-%m-%d %H:%M}  "
                f"{job.get_kind_display():<16} "
                f"v{job.profile.version:<3} {job.status:<8} "
                f"{job.accounts_done}/{job.accounts_total} accounts, "
                f"{job.chunks_done}/{job.chunks_total} chunks{finished}"
                + (f"  {job.error}" if job.error else "")
            )
