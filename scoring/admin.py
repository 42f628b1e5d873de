from django.contrib import admin

from config.admin import ReadOnlyAdmin
from scoring.models import (
    BacktestRun,
    MapTally,
    MapTallyChange,
    ProfileChange,
    ProfileRollout,
    RecomputeJob,
    ScoreSnapshot,
    ScoringProfile,
    StandingLine,
    StandingTally,
    StandingTallyChange,
)


@admin.register(ScoringProfile)
class ScoringProfileAdmin(admin.ModelAdmin):
    """Versions are read here; a change makes a new version (see scoring/services.py), so the
    stored parameters of a used version are never edited in place."""

    list_display = ["version", "is_active", "frozen", "note", "created_by", "created_at"]
    list_filter = ["is_active", "frozen"]
    search_fields = ["note"]
    readonly_fields = ["version", "params", "is_active", "frozen", "created_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdmin):
    """Computed rows: readable for checking a score, never edited by hand."""

    list_display = [
        "account",
        "week_ending",
        "score",
        "stage",
        "decline_risk",
        "profile",
        "is_latest",
    ]
    list_filter = ["stage", "is_latest", "profile"]
    search_fields = ["account__name"]
    list_select_related = ["account", "profile"]
    date_hierarchy = "week_ending"
    show_full_result_count = False  # millions of rows: no COUNT(*) per page


@admin.register(StandingLine)
class StandingLineAdmin(ReadOnlyAdmin):
    """The dashboard's lines, derived from the snapshots and the accounts: readable for
    checking what the dashboard counts, never edited by hand."""

    list_display = ["name", "owner_id", "stage", "score", "decline_risk", "week_ending"]
    list_filter = ["stage", "silence", "perception_gap"]
    search_fields = ["name"]


@admin.register(StandingTally)
class StandingTallyAdmin(ReadOnlyAdmin):
    """The dashboard's lines counted by group (its tiles and transitions), derived from them."""

    list_display = ["industry", "potential", "stage", "risk_band", "week_ending", "accounts"]
    list_filter = ["stage", "risk_band", "potential"]
    search_fields = ["industry"]


@admin.register(MapTally)
class MapTallyAdmin(ReadOnlyAdmin):
    """The dashboard's lines counted per square of its map, derived from them."""

    list_display = [
        "industry",
        "potential",
        "stage",
        "risk_band",
        "score_bin",
        "risk_bin",
        "accounts",
    ]
    list_filter = ["stage", "risk_band", "potential"]
    search_fields = ["industry"]


@admin.register(StandingTallyChange)
class StandingTallyChangeAdmin(ReadOnlyAdmin):
    """What writes added to the dashboard's counts, not folded into them yet (usually none)."""

    list_display = ["industry", "potential", "stage", "risk_band", "week_ending", "accounts"]
    list_filter = ["stage", "risk_band"]
    search_fields = ["industry"]


@admin.register(MapTallyChange)
class MapTallyChangeAdmin(ReadOnlyAdmin):
    """What writes added to the map's counts, not folded into them yet (usually none)."""

    list_display = ["industry", "stage", "score_bin", "risk_bin", "accounts"]
    list_filter = ["stage", "risk_band"]
    search_fields = ["industry"]


@admin.register(ProfileChange)
class ProfileChangeAdmin(ReadOnlyAdmin):
    """The history of the scoring profiles: evidence of who changed what, never edited."""

    list_display = ["at", "profile", "action", "actor", "summary"]
    list_filter = ["action"]
    search_fields = ["summary", "actor__username"]
    list_select_related = ["profile", "actor"]


@admin.register(ProfileRollout)
class ProfileRolloutAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "profile", "status", "accounts_done", "accounts_total"]
    list_filter = ["status"]
    search_fields = ["error"]
    list_select_related = ["profile"]


@admin.register(BacktestRun)
class BacktestRunAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "profile", "baseline", "status", "finished_at"]
    list_filter = ["status"]
    search_fields = ["error"]
    list_select_related = ["profile", "baseline"]


@admin.register(RecomputeJob)
class RecomputeJobAdmin(ReadOnlyAdmin):
    """How many accounts each background recompute (full, rollout, daily catch-up) touched."""

    list_display = [
        "requested_at",
        "kind",
        "profile",
        "status",
        "accounts_done",
        "accounts_total",
        "chunks_done",
        "chunks_total",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["error"]
    list_select_related = ["profile"]
    exclude = ["finished_chunks"]
