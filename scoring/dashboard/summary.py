"""The portfolio dashboard read as aggregates and short lists, never one row per account.

Every panel is a query whose answer has a bounded size, whatever the size of the book: counts
and sums grouped by stage, by manager, by the stage held at the start of the period, or by a
square of the score-risk plane; and lists cut by the database (`ORDER BY ... LIMIT`). Only the
few rows a panel shows become Python objects, so the page's work (and its size) stays flat as
the portfolio grows from thousands of accounts to tens of thousands; the database's own scans
are what still grow, and they read the latest standings through the index kept for them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    F,
    FilteredRelation,
    FloatField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Floor, Least

from relationships.models import Interaction
from scoring.dashboard import panels
from scoring.dashboard.filters import DashboardFilters
from scoring.dashboard.panels import (
    PANEL_LENGTH,
    ManagerLine,
    Move,
    PortfolioRow,
    StageTotals,
    Transitions,
)
from scoring.dashboard.selectors import _columns, _portfolio_rows
from scoring.engine import Profile, Stage
from scoring.models import ScoreSnapshot, ScoringProfile, drivers_naming

# The map's squares: 20 x 20 of 5 points of score by 5 of decline risk.
MAP_BIN = 5
MAP_BINS = 100 // MAP_BIN
# The accounts the map draws as points: every one while the view holds this many or fewer,
# else the riskiest this many (the rest are counted in the squares).
MAP_ALL_POINTS = 500
MAP_TOP_POINTS = 200


@dataclass(frozen=True)
class MapBin:
    score_bin: int  # 0-19: scores from 5 x score_bin to 5 x score_bin + 5
    risk_bin: int  # 0-19, likewise for decline risk
    accounts: int


@dataclass
class Overview:
    """The counts of the whole view: per stage (the tiles) and per risk band (the map's
    caption), the week the standings belong to, and how many stand in an earlier week."""

    stages: list[StageTotals]
    risk_bands: dict[str, int]
    latest_week: datetime.date | None
    behind: int

    @property
    def accounts(self) -> int:
        return sum(totals.accounts for totals in self.stages)


class Standings:
    """The latest standing of the accounts in the dashboard's view, under one profile, as the
    queries of each panel."""

    def __init__(
        self, *, profile: ScoringProfile, filters: DashboardFilters, today: datetime.date
    ) -> None:
        self.profile = profile
        self.engine_profile: Profile = profile.engine_profile()
        self.filters = filters
        self.today = today
        self.bands = self.engine_profile["risk_bands"]
        self.latest = ScoreSnapshot.objects.filter(profile=profile, is_latest=True).filter(
            filters.account_q("account__"), filters.snapshot_q(self.bands)
        )

    # The whole view, as counts and sums

    def overview(self, *, this_week: datetime.date) -> Overview:
        """One query: per stage, the accounts, their revenue, revenue weighted by decline risk,
        the sum of squared revenues (for the Herfindahl index), the largest revenue, the risk
        band counts, the newest week and the accounts standing before `this_week`."""
        revenue = Cast("account__annual_revenue", FloatField())
        medium, high = self.bands["medium"], self.bands["high"]
        groups = (
            self.latest.order_by()
            .values("stage")
            .annotate(
                accounts=Count("*"),
                revenue=Sum("account__annual_revenue"),
                revenue_at_risk=Sum(revenue * F("decline_risk") / Value(100.0)),
                revenue_squared=Sum(revenue * revenue),
                largest=Max("account__annual_revenue"),
                low=Count("pk", filter=Q(decline_risk__lt=medium)),
                medium=Count("pk", filter=Q(decline_risk__gte=medium, decline_risk__lt=high)),
                high=Count("pk", filter=Q(decline_risk__gte=high)),
                latest_week=Max("week_ending"),
                behind=Count("pk", filter=Q(week_ending__lt=this_week)),
            )
        )
        stages = {stage: StageTotals(stage) for stage in Stage}
        risk_bands = {"low": 0, "medium": 0, "high": 0}
        weeks, behind = [], 0
        for group in groups:
            stages[Stage(group["stage"])] = StageTotals(
                Stage(group["stage"]),
                accounts=group["accounts"],
                revenue=Decimal(group["revenue"] or 0),
                revenue_at_risk=group["revenue_at_risk"] or 0.0,
                revenue_squared=group["revenue_squared"] or 0.0,
                largest=Decimal(group["largest"] or 0),
            )
            for band in risk_bands:
                risk_bands[band] += group[band]
            weeks.append(group["latest_week"])
            behind += group["behind"]
        return Overview(list(stages.values()), risk_bands, max(weeks, default=None), behind)

    def largest_account(self) -> PortfolioRow | None:
        """The account with the largest revenue (the first by name among equals)."""
        return next(
            iter(self._rows(self.latest.order_by("-account__annual_revenue", "account__name"), 1)),
            None,
        )

    def managers(self) -> list[ManagerLine]:
        """Each manager's line of the by-manager table: stage mix, revenue, risk, activity of
        the last 30 days and plans (two queries, one line per manager)."""
        per_stage = {stage: Count("pk", filter=Q(stage=stage.value)) for stage in panels.STAGES}
        no_step = Q(account__next_step="")
        groups = (
            self.latest.order_by()
            .values(
                "account__owner_id",
                "account__owner__first_name",
                "account__owner__last_name",
                "account__owner__username",
            )
            .annotate(
                accounts=Count("*"),
                revenue=Sum("account__annual_revenue"),
                average_risk=Avg("decline_risk"),
                high_risk=Count("pk", filter=Q(decline_risk__gte=self.bands["high"])),
                no_step=Count("pk", filter=no_step),
                overdue=Count("pk", filter=~no_step & Q(account__next_step_due__lt=self.today)),
                **{f"stage_{stage.value}": count for stage, count in per_stage.items()},
            )
        )
        activity = self._interactions_per_manager()
        lines = [
            ManagerLine(
                owner_id=group["account__owner_id"],
                owner_name=f"{group['account__owner__first_name']} "
                f"{group['account__owner__last_name']}".strip()
                or group["account__owner__username"],
                accounts=group["accounts"],
                stage_counts=[group[f"stage_{stage.value}"] for stage in panels.STAGES],
                revenue=Decimal(group["revenue"] or 0),
                average_risk=group["average_risk"] or 0.0,
                high_risk=group["high_risk"],
                interactions_30=activity.get(group["account__owner_id"], 0),
                no_step=group["no_step"],
                overdue=group["overdue"],
            )
            for group in groups
        ]
        return sorted(lines, key=lambda line: (line.owner_name, line.owner_id))

    def _interactions_per_manager(self) -> dict[int, int]:
        """Interactions of the last 30 days on the accounts in view, per manager."""
        in_view = Q(account__snapshots__profile=self.profile, account__snapshots__is_latest=True)
        in_view &= self.filters.snapshot_q(self.bands, prefix="account__snapshots__")
        recent = (
            Interaction.objects.filter(
                self.filters.account_q("account__"),
                in_view,
                occurred_on__gt=self.today - datetime.timedelta(days=30),
            )
            .order_by()
            .values("account__owner_id")
            .annotate(n=Count("*"))
            .values_list("account__owner_id", "n")
        )
        return dict(recent)

    # The period: where the accounts stood 4 or 13 weeks before the latest week

    def _with_past(self, week: datetime.date) -> QuerySet[ScoreSnapshot]:
        """The standings with their account's snapshot of `week` as `past` (none if it has
        none that week)."""
        return self.latest.annotate(
            past=FilteredRelation(
                "account__snapshots",
                condition=Q(
                    account__snapshots__profile=self.profile,
                    account__snapshots__week_ending=week,
                ),
            )
        )

    def transitions(self, week: datetime.date) -> Transitions:
        """How many accounts went from each stage they held in `week` to each stage now."""
        # django-stubs cannot see a FilteredRelation's name (`past`) as a field.
        counts = (
            self._with_past(week)  # type: ignore[misc]
            # Tested on a column of the week's index, not the id: read from the index alone.
            .filter(past__score__isnull=False)
            .order_by()
            .values_list("past__stage", "stage")
            .annotate(n=Count("*"))
        )
        return Transitions({(Stage(a), Stage(b)): n for a, b, n in counts})

    def movers(self, week: datetime.date, *, days: int) -> tuple[list[Move], list[Move]]:
        """The biggest climbers and sliders since `week`: each list cut by the database, then
        ranked by `panels.movers` as any list of rows would be."""
        moved = self._with_past(week).annotate(change=F("score") - F("past__score"))
        climbing = moved.filter(change__gte=0.5).order_by("-change", "account__name")
        slipping = moved.filter(change__lte=-0.5).order_by("change", "account__name")
        candidates = [
            *self._rows(climbing, PANEL_LENGTH, past=days),
            *self._rows(slipping, PANEL_LENGTH, past=days),
        ]
        return panels.movers(candidates, days=days)

    # The lists: the first few by the panel's own order

    def at_risk(self) -> list[PortfolioRow]:
        riskiest = self.latest.filter(decline_risk__gt=0).order_by(
            "-decline_risk", "-account__annual_revenue", "account__name"
        )
        return panels.at_risk(self._rows(riskiest, PANEL_LENGTH))

    def could_become_partners(self) -> list[PortfolioRow]:
        found = self.latest.filter(
            account__partnership_potential__in=panels.POTENTIAL_PARTNER_VALUES
        ).exclude(stage__in=[stage.value for stage in panels.PARTNERSHIP_STAGES])
        ranked = found.order_by("-score", "account__name")
        return panels.could_become_partners(self._rows(ranked, PANEL_LENGTH))

    def neglected_regulars(self) -> list[PortfolioRow]:
        found = self._with_driver("silence").filter(
            account__partnership_potential=panels.REGULAR_VALUE
        )
        ranked = found.order_by("-decline_risk", "account__name")
        return panels.neglected_regulars(self._rows(ranked, PANEL_LENGTH))

    def perception_gaps(self) -> list[PortfolioRow]:
        ranked = self._with_driver("perception_gap").order_by("-decline_risk", "account__name")
        return panels.perception_gaps(self._rows(ranked, PANEL_LENGTH))

    def _with_driver(self, key: str) -> QuerySet[ScoreSnapshot]:
        """The standings whose risk drivers name `key` (read as `PortfolioRow.has_driver`
        reads them: the drivers' JSON text holds the quoted key)."""
        return self.latest.filter(drivers_naming(key))

    # The map

    def map_bins(self) -> list[MapBin]:
        """How many accounts fall in each square of the score-risk plane (at most 400)."""
        last, width = Value(float(MAP_BINS - 1)), Value(float(MAP_BIN))
        squares = (
            self.latest.order_by()
            .annotate(
                score_bin=Least(Floor(F("score") / width), last),
                risk_bin=Least(Floor(F("decline_risk") / width), last),
            )
            .values_list("score_bin", "risk_bin")
            .annotate(n=Count("*"))
        )
        return [MapBin(int(score), int(risk), n) for score, risk, n in squares]

    def map_points(self, *, accounts: int, trails_from: datetime.date | None) -> list[PortfolioRow]:
        """The accounts the map draws one by one: all of them while the view holds no more
        than `MAP_ALL_POINTS` (`accounts` in all), else the `MAP_TOP_POINTS` riskiest. With
        `trails_from`, each with its standing of that week (13 weeks back) for its trail."""
        limit = accounts if accounts <= MAP_ALL_POINTS else MAP_TOP_POINTS
        standings = self.latest if trails_from is None else self._with_past(trails_from)
        riskiest = standings.order_by("-decline_risk", "-account__annual_revenue", "account__name")
        return self._rows(riskiest, limit, past=90 if trails_from else None)

    # Rows

    def _rows(
        self, snapshots: QuerySet[ScoreSnapshot], limit: int, *, past: int | None = None
    ) -> list[PortfolioRow]:
        """The first `limit` standings as dashboard rows (one query); with `past` (30 or 90
        days), each with the score and stage of `past__` (from `_with_past`) as of then."""
        columns = _columns(account="account__", snapshot="")
        if past is not None:
            columns += ["past__score", "past__stage", "past__decline_risk"]
        # Ranked on the standings' index alone; only the chosen few are read in full, by id
        # (the view's filters are not applied again: the planner would scan by them anew).
        chosen = snapshots.values("pk")[:limit]
        order = snapshots.query.order_by
        by_id = snapshots if past is not None else ScoreSnapshot.objects.all()
        full = by_id.filter(pk__in=chosen).order_by(*order)
        found = list(full.values_list(*columns))
        rows = _portfolio_rows((line[:20] for line in found), self.engine_profile)
        if past is not None:
            for row, line in zip(rows, found, strict=True):
                score, stage, risk = line[20:]
                if score is None:
                    continue
                if past == 30:
                    row.score_30, row.stage_30 = score, Stage(stage)
                else:
                    row.score_90, row.stage_90 = score, Stage(stage)
                    row.decline_risk_90 = risk
        return rows
