"""Scoring profiles (versioned parameters) and the weekly snapshots computed under them.

The engine itself is pure Python in scoring/engine/; this module only stores its input
parameters and its output.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Account
from scoring.engine import Profile, Stage
from scoring.engine import validate as validate_profile


class ScoringProfile(models.Model):
    """One version of the scoring parameters.

    Exactly one version is active at a time (a partial unique constraint allows no second one;
    the services never leave none). A version is frozen once it has been active or has
    snapshots: a change makes a new version, so every stored score can be traced to the exact
    parameters that produced it.
    """

    version = models.PositiveIntegerField(unique=True)
    params = models.JSONField(help_text="The engine's parameters; see scoring/engine/profile.py.")
    is_active = models.BooleanField(default=False)
    frozen = models.BooleanField(
        default=False, help_text="Set once the version has been active or scored; never cleared."
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revision = models.PositiveIntegerField(
        default=1, help_text="Goes up with every saved edit; a save from an older one is refused."
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_scoring_profile",
                violation_error_message="Only one scoring profile can be active.",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=False) | models.Q(frozen=True),
                name="active_scoring_profile_is_frozen",
                violation_error_message="The active scoring profile cannot be edited.",
            ),
        ]

    def __str__(self) -> str:
        return f"Scoring profile v{self.version}" + (" (active)" if self.is_active else "")

    def clean(self) -> None:
        errors = validate_profile(self.params or {})
        if errors:
            raise ValidationError({"params": [f"{field}: {msg}" for field, msg in errors.items()]})

    def engine_profile(self) -> Profile:
        return Profile.from_dict(self.params)


class ScoreSnapshot(models.Model):
    """An account's standing at the end of one week, under one profile version.

    `is_latest` marks the newest week per account and profile, so the dashboard reads the
    current standing of the whole portfolio with one indexed query.
    """

    # No single-column indexes: the unique constraint leads with the account, the week index
    # below with the profile, and every index slows the bulk writes of a recompute.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    profile = models.ForeignKey(
        ScoringProfile, on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )
    week_ending = models.DateField(help_text="The Sunday that closes the week.")
    score = models.FloatField()
    stage = models.CharField(max_length=20, choices=Stage.choices())
    decline_risk = models.FloatField()
    # [[key, points, [signal slugs]], ...], largest first; the points add up to the score.
    contributions = models.JSONField(default=list)
    # [[key, points, detail], ...], largest first; the points add up to the risk.
    risk_drivers = models.JSONField(default=list)
    next_stage_gap = models.CharField(max_length=300, blank=True)
    is_latest = models.BooleanField(default=False)

    class Meta:
        ordering = ["account", "week_ending"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "profile", "week_ending"], name="one_snapshot_per_account_week"
            ),
            models.UniqueConstraint(
                fields=["profile", "account"],
                condition=models.Q(is_latest=True),
                name="one_latest_snapshot_per_account",
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="snapshot_score_0_to_100"
            ),
            models.CheckConstraint(
                condition=models.Q(decline_risk__gte=0, decline_risk__lte=100),
                name="snapshot_risk_0_to_100",
            ),
        ]
        # Weeks across the portfolio (the dashboard's "30 / 90 days ago"), answered from the
        # index alone on PostgreSQL; the partial unique constraint above is the index for the
        # latest standing.
        indexes = [
            models.Index(
                fields=["profile", "week_ending"],
                include=["account", "score", "stage"],
                name="snapshot_profile_week",
            ),
            # The current standings of the whole portfolio (the what-if preview's fingerprint,
            # the webhooks' standings before and after a version goes live), answered from
            # this small index alone on PostgreSQL (one entry per account), not from one heap
            # row per account spread over years of weekly history.
            models.Index(
                fields=["profile", "-decline_risk"],
                include=["id", "account", "score", "stage", "week_ending"],
                condition=models.Q(is_latest=True),
                name="snapshot_latest_standing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} week ending {self.week_ending}: {self.score:.0f} ({self.stage})"


# The columns of a line that the dashboard's sums group by or filter on besides the revenue.
LINE_SUMMED = (
    "industry",
    "potential",
    "stage",
    "risk_band",
    "decline_risk",
    "week_ending",
    "stage_4w",
    "stage_13w",
    "score_bin",
    "risk_bin",
    "revenue_at_risk",
)


class StandingLine(models.Model):
    """One active account's current standing under the live version, beside the facts of the
    account the portfolio dashboard filters, sums and ranks by, and where it stood 4 and 13
    weeks before (scoring/standing_lines.py keeps it, in the transaction of every write that
    changes either side).

    The dashboard reads these narrow rows alone: no join to the accounts, and no search for
    the earlier weeks among years of weekly history, so each of its sums is one pass over a
    small table and each of its lists the first few entries of an index.
    """

    profile = models.ForeignKey(
        ScoringProfile, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="standing_line", db_index=False
    )
    snapshot_id = models.BigIntegerField(help_text="The latest snapshot this line repeats.")
    # The account's facts
    name = models.CharField(max_length=200)
    owner_id = models.IntegerField()
    industry = models.CharField(max_length=100, blank=True)
    potential = models.CharField(max_length=20)
    revenue = models.DecimalField(max_digits=14, decimal_places=2)
    no_step = models.BooleanField(help_text="No next step planned.")
    next_step_due = models.DateField(null=True)
    # The standing, as the latest snapshot holds it
    week_ending = models.DateField()
    score = models.FloatField()
    stage = models.CharField(max_length=20, choices=Stage.choices())
    decline_risk = models.FloatField()
    risk_band = models.CharField(max_length=10)
    # What the line adds to the tallies beside its groups' keys (scoring/tallies.py).
    score_bin = models.SmallIntegerField(help_text="The map's square: 5 points of score.")
    risk_bin = models.SmallIntegerField(help_text="The map's square: 5 points of risk.")
    revenue_at_risk = models.DecimalField(max_digits=14, decimal_places=2)
    silence = models.BooleanField(help_text="The risk drivers name the silence.")
    perception_gap = models.BooleanField(help_text="The risk drivers name a perception gap.")
    # The same account's weeks 4 and 13 before this one (none, and no stage, while it has no
    # such week)
    score_4w = models.FloatField(null=True)
    stage_4w = models.CharField(max_length=20, blank=True)
    change_4w = models.FloatField(null=True, help_text="Score points since 4 weeks before.")
    score_13w = models.FloatField(null=True)
    stage_13w = models.CharField(max_length=20, blank=True)
    change_13w = models.FloatField(null=True, help_text="Score points since 13 weeks before.")
    decline_risk_13w = models.FloatField(null=True)

    class Meta:
        # Each index leads with the profile: the lines of a version being replaced by another
        # are deleted in the same transaction, so one profile is all there is, but a query
        # that names it stays on the index whatever happens in between.
        indexes = [
            # The riskiest (the at-risk list, the map's points) and the lists by risk driver.
            models.Index(fields=["profile", "-decline_risk"], name="line_risk"),
            models.Index(
                fields=["profile", "-decline_risk"],
                condition=models.Q(silence=True),
                name="line_silence",
            ),
            models.Index(
                fields=["profile", "-decline_risk"],
                condition=models.Q(perception_gap=True),
                name="line_perception_gap",
            ),
            # The closest to the next stage (could become partners), the movers either way,
            # one manager's accounts.
            models.Index(fields=["profile", "-score"], name="line_score"),
            # The largest account, and a revenue range: the tallies do not group by revenue
            # (a band of it would multiply their groups), so a range's tiles, transitions and
            # map squares sum its lines. This index holds every column those sums read and
            # filter by, so they read the range from the index alone (on PostgreSQL, once
            # vacuum has marked the table's pages visible) rather than the whole table.
            models.Index(fields=["profile", "revenue", *LINE_SUMMED], name="line_revenue"),
            models.Index(fields=["profile", "change_4w"], name="line_change_4w"),
            models.Index(fields=["profile", "change_13w"], name="line_change_13w"),
            models.Index(fields=["profile", "owner_id"], name="line_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.score:.0f} ({self.stage}), risk {self.decline_risk:.0f}"


# What the tallies below group the dashboard's lines by (their unique keys, beside the profile).
STANDING_TALLY_KEY = (
    "industry",
    "potential",
    "stage",
    "risk_band",
    "week_ending",
    "stage_4w",
    "stage_13w",
)
MAP_TALLY_KEY = ("industry", "potential", "stage", "risk_band", "score_bin", "risk_bin")


class _StandingGroup(models.Model):
    """A group of the dashboard's lines as `StandingTally` counts it, and its sums."""

    industry = models.CharField(max_length=100, blank=True)
    potential = models.CharField(max_length=20)
    stage = models.CharField(max_length=20)
    risk_band = models.CharField(max_length=10)
    week_ending = models.DateField()
    stage_4w = models.CharField(max_length=20, blank=True)
    stage_13w = models.CharField(max_length=20, blank=True)
    accounts = models.IntegerField()
    revenue = models.DecimalField(max_digits=20, decimal_places=2)
    # Revenue weighted by decline risk read as a 0-1 weight (to the hundredth), and revenue
    # squared (for the Herfindahl index): exact sums, so that what writes add and take away
    # cancels out (a floating sum would keep the rounding of a large account long gone).
    revenue_at_risk = models.DecimalField(max_digits=20, decimal_places=2)
    revenue_squared = models.DecimalField(max_digits=34, decimal_places=4)

    class Meta:
        abstract = True


class _MapGroup(models.Model):
    """A square of the portfolio map as `MapTally` counts it, and its count."""

    industry = models.CharField(max_length=100, blank=True)
    potential = models.CharField(max_length=20)
    stage = models.CharField(max_length=20)
    risk_band = models.CharField(max_length=10)
    score_bin = models.SmallIntegerField()
    risk_bin = models.SmallIntegerField()
    accounts = models.IntegerField()

    class Meta:
        abstract = True


class StandingTally(_StandingGroup):
    """The dashboard's lines counted and summed by everything the dashboard groups or filters
    them by, except the manager and the revenue: per industry, potential, stage, risk band,
    week and the stages held 4 and 13 weeks before. Kept with the lines (scoring/tallies.py),
    so the tiles, the risk bands and the stage transitions add up a few hundred of these
    rows, not one line per account.
    """

    profile = models.ForeignKey(
        ScoringProfile, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["profile", *STANDING_TALLY_KEY], name="one_standing_tally_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.accounts} at {self.stage}, {self.risk_band} risk, {self.industry or '-'}"


class MapTally(_MapGroup):
    """The dashboard's lines counted per square of the portfolio map (5 points of score by 5
    of decline risk) and per industry, potential, stage and risk band: the map's squares add
    up these rows. Kept with the lines (scoring/tallies.py)."""

    profile = models.ForeignKey(
        ScoringProfile, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["profile", *MAP_TALLY_KEY], name="one_map_tally_per_square"
            )
        ]

    def __str__(self) -> str:
        return f"{self.accounts} in square ({self.score_bin}, {self.risk_bin})"


class StandingTallyChange(_StandingGroup):
    """What one write added to and took away from a group of `StandingTally`, not yet folded
    into it. Writes only append these (no write waits on another's groups); the dashboard
    adds them to the tallies as it reads, and they are folded in after each write commits
    (scoring/tallies.py)."""

    profile = models.ForeignKey(ScoringProfile, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.accounts:+d} at {self.stage}, {self.risk_band} risk"


class MapTallyChange(_MapGroup):
    """What one write added to and took away from a square of `MapTally`, not yet folded."""

    profile = models.ForeignKey(ScoringProfile, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.accounts:+d} in square ({self.score_bin}, {self.risk_bin})"


class ProfileChange(models.Model):
    """Who did what to which scoring profile version, and when, with a readable diff."""

    class Action(models.TextChoices):
        DRAFTED = "drafted", "Started a draft"
        EDITED = "edited", "Edited"
        APPLIED = "applied", "Applied"
        ROLLED_BACK = "rolled_back", "Rolled back to"

    profile = models.ForeignKey(ScoringProfile, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=20, choices=Action)
    summary = models.CharField(max_length=300)
    # {dotted parameter: [before, after]}
    diff = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=["drafted", "edited", "applied", "rolled_back"]),
                name="profilechange_action_valid",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.profile.version}: {self.summary}"


class ProfileRollout(models.Model):
    """Making a version live: its whole weekly history is computed in the background, and only
    then does it become the active version (so dashboards switch when it is complete)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Recomputing history"
        DONE = "done", "Live"
        FAILED = "failed", "Failed"

    profile = models.ForeignKey(ScoringProfile, on_delete=models.CASCADE, related_name="rollouts")
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    # True while queued or running: at most one rollout at a time.
    is_open = models.BooleanField(default=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    accounts_total = models.PositiveIntegerField(default=0)
    accounts_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_open"],
                condition=models.Q(is_open=True),
                name="one_open_profile_rollout",
                violation_error_message="Another version is being rolled out.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="profilerollout_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Rollout of v{self.profile.version}: {self.get_status_display()}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.accounts_done / self.accounts_total) if self.accounts_total else 0


class RecomputeJob(models.Model):
    """Scores recomputed in the background, spread over the queue: the accounts are cut into
    chunks and each chunk is a task that any worker may claim (scoring/jobs/recompute.py)."""

    class Kind(models.TextChoices):
        FULL = "full", "Full recompute"
        ROLLOUT = "rollout", "Version rollout"
        CATCH_UP = "catch_up", "Daily catch-up"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    profile = models.ForeignKey(ScoringProfile, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind)
    # The rollout this job computes the history of; it goes live when the last chunk is done.
    rollout = models.OneToOneField(
        ProfileRollout, null=True, blank=True, on_delete=models.CASCADE, related_name="job"
    )
    as_of = models.DateField(help_text="Scores are computed as if today were this date.")
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    # The numbers of the chunks done and of those that failed, so a chunk run twice (a task
    # delivered again) counts once; the job ends when every chunk is in one or the other.
    finished_chunks = models.JSONField(default=list, blank=True)
    failed_chunks = models.JSONField(default=list, blank=True)
    accounts_total = models.PositiveIntegerField(default=0)
    accounts_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="recomputejob_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["full", "rollout", "catch_up"]),
                name="recomputejob_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        kind, status = self.get_kind_display(), self.get_status_display()
        return f"{kind} under v{self.profile.version}: {status}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def chunks_ended(self) -> int:
        return len(self.finished_chunks) + len(self.failed_chunks)

    def has_ended(self, number: int) -> bool:
        return number in self.finished_chunks or number in self.failed_chunks


class BacktestRun(models.Model):
    """A backtest of one version against the accounts actually lost (scoring/backtest.py),
    next to the active version's, computed by the worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    profile = models.ForeignKey(ScoringProfile, on_delete=models.CASCADE, related_name="backtests")
    # The live version it is compared with, at the time of the run.
    baseline = models.ForeignKey(
        ScoringProfile, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    accounts_total = models.PositiveIntegerField(default=0)
    accounts_done = models.PositiveIntegerField(default=0)
    # {"profile": report, "baseline": report}, see scoring.backtest.Backtest.report
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="backtestrun_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"Backtest of v{self.profile.version}: {self.get_status_display()}"

    @property
    def percent_done(self) -> int:
        return round(100 * self.accounts_done / self.accounts_total) if self.accounts_total else 0
