"""The portfolio dashboard read as aggregates and short lists, never one row per account.

Every panel is a query whose answer has a bounded size, whatever the size of the book: counts
and sums grouped by stage, by manager, by the stage held at the start of the period, or by a
square of the score-risk plane; and lists cut by the database (`ORDER BY ... LIMIT`). Only the
few rows a panel shows become Python objects, so the page's work (and its size) stays flat as
the portfolio grows from thousands of accounts to tens of thousands. Every query reads the
dashboard's lines (`StandingLine`, scoring/standing_lines.py): one narrow row per active
account, with its facts and its standing 4 and 13 weeks back, so no sum joins the accounts or
searches years of weekly history, and the by-manager table reads one page of managers.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)

from accounts.selectors import by_name
from relationships.models import Interaction
from scoring.dashboard import panels
from scoring.dashboard.filters import RISK_BAND_NAMES, DashboardFilters
from scoring.dashboard.panels import (
    PANEL_LENGTH,
    ManagerLine,
    ManagerPage,
    Move,
    PortfolioRow,
    StageTotals,
    Transitions,
)
from scoring.dashboard.selectors import _columns, _portfolio_rows
from scoring.engine import Profile, Stage
from scoring.models import (
    MapTally,
    MapTallyChange,
    ScoreSnapshot,
    ScoringProfile,
    StandingLine,
    StandingTally,
    StandingTallyChange,
)
from scoring.tallies import with_changes

# The accounts the map draws as points: every one while the view holds this many or fewer,
# else the riskiest this many (the rest are counted in the squares).
MAP_ALL_POINTS = 500
MAP_TOP_POINTS = 200
# Managers per page of the by-manager table.
MANAGERS_PER_PAGE = 25


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
    """The current standing of the accounts in the dashboard's view, under the live version,
    as the queries of each panel (on the dashboard's lines)."""

    def __init__(
        self, *, profile: ScoringProfile, filters: DashboardFilters, today: datetime.date
    ) -> None:
        self.profile = profile
        self.engine_profile: Profile = profile.engine_profile()
        self.filters = filters
        self.today = today
        self.bands = self.engine_profile["risk_bands"]
        self.lines = StandingLine.objects.filter(profile=profile).filter(
            filters.line_q(), filters.snapshot_q(self.bands)
        )
        # The tallies hold every group but a manager's or a revenue range: with one of
        # those, the sums read the lines in view (a manager's few, or the range's).
        self.tallied = not (
            filters.manager_id or filters.revenue_min is not None or filters.revenue_max is not None
        )

    # The whole view, as counts and sums

    def overview(self, *, this_week: datetime.date) -> Overview:
        """One read: per stage, the accounts, their revenue, revenue weighted by decline risk,
        the sum of squared revenues (for the Herfindahl index), the risk band counts, the
        newest week and the accounts standing before `this_week`."""
        by = ("stage", "risk_band", "week_ending")
        rows = self._counted(
            by,
            tally_sums=(
                Sum("accounts"),
                Sum("revenue"),
                Sum("revenue_at_risk"),
                Sum("revenue_squared"),
            ),
            line_sums=(
                Count("*"),
                Sum("revenue"),
                Sum("revenue_at_risk"),
                Sum(F("revenue") * F("revenue")),
            ),
        )
        stages = {stage: StageTotals(stage) for stage in Stage}
        risk_bands = dict.fromkeys(RISK_BAND_NAMES, 0)
        weeks: Counter[datetime.date] = Counter()
        for (stage, band, week), (n, revenue, at_risk, squared) in rows.items():
            totals = stages[Stage(stage)]
            totals.accounts += n
            totals.revenue += Decimal(revenue or 0)
            totals.revenue_at_risk += float(at_risk or 0)
            totals.revenue_squared += float(squared or 0)
            risk_bands[band] += n
            weeks[week] += n
        standing = [week for week, n in weeks.items() if n]
        behind = sum(n for week, n in weeks.items() if week < this_week)
        return Overview(list(stages.values()), risk_bands, max(standing, default=None), behind)

    def _counted(self, by: tuple[str, ...], *, tally_sums: tuple, line_sums: tuple) -> dict:
        """The view's lines counted and summed by the fields `by`: from the tallies with the
        changes not folded yet (one statement), or from the lines in view when the tallies
        do not hold the view (a manager, a revenue range). Groups left empty are dropped."""
        tally_model, change_model = (
            (MapTally, MapTallyChange)
            if "score_bin" in by
            else (StandingTally, StandingTallyChange)
        )
        names = [f"sum_{index}" for index in range(len(tally_sums))]

        def grouped(rows: QuerySet, sums: tuple) -> QuerySet:
            named = dict(zip(names, sums, strict=True))
            return rows.order_by().values(*by).annotate(**named).values_list(*by, *names)

        if self.tallied:
            scope = {"profile": self.profile, **self.filters.tally_filter()}
            rows = with_changes(
                grouped(tally_model.objects.filter(**scope), tally_sums),
                grouped(change_model.objects.filter(**scope), tally_sums),
            )
        else:
            rows = list(grouped(self.lines, line_sums))
        counted: dict[tuple, list] = {}
        for row in rows:
            key, sums = row[: len(by)], row[len(by) :]
            total = counted.setdefault(key, [0] * len(sums))
            for index, value in enumerate(sums):
                total[index] += value or 0
        return {key: sums for key, sums in counted.items() if sums[0]}

    def largest_account(self) -> PortfolioRow | None:
        """The account with the largest revenue (the first by name among equals)."""
        return next(iter(self._rows(self.lines.order_by("-revenue", "name"), 1)), None)

    def managers(self, *, page: int) -> ManagerPage:
        """One page of the by-manager table, by name: each manager with accounts in view, with
        their stage mix, revenue, risk, activity of the last 30 days and plans. Three queries
        whatever the number of managers: the page's names (the team walked in name order on
        its index, until a page of managers with accounts in view is found), their lines'
        sums and their interactions."""
        page = max(page, 1)
        start = (page - 1) * MANAGERS_PER_PAGE
        in_view = get_user_model().objects.filter(
            Exists(self.lines.filter(owner_id=OuterRef("pk")))
        )
        names = list(
            by_name(in_view).values_list("pk", "first_name", "last_name", "username")[
                start : start + MANAGERS_PER_PAGE + 1
            ]
        )
        more, names = len(names) > MANAGERS_PER_PAGE, names[:MANAGERS_PER_PAGE]
        ids = [pk for pk, *_ in names]
        sums = {group["owner_id"]: group for group in self._manager_sums(ids)}
        activity = self._interactions_per_manager(ids)
        lines = []
        for pk, first, last, username in names:
            group = sums.get(pk)
            if group is None:
                continue  # their last account in view left it between the two reads
            lines.append(
                ManagerLine(
                    owner_id=pk,
                    owner_name=f"{first} {last}".strip() or username,
                    accounts=group["accounts"],
                    stage_counts=[group[f"stage_{stage.value}"] for stage in panels.STAGES],
                    revenue=Decimal(group["revenue_sum"] or 0),
                    average_risk=group["average_risk"] or 0.0,
                    high_risk=group["high_risk"],
                    interactions_30=activity.get(pk, 0),
                    no_step=group["without_step"],
                    overdue=group["overdue"],
                )
            )
        return ManagerPage(lines, page=page, first=start + 1, more=more)

    def _manager_sums(self, owner_ids: list[int]) -> QuerySet:
        per_stage = {stage: Count("pk", filter=Q(stage=stage.value)) for stage in panels.STAGES}
        return (
            self.lines.filter(owner_id__in=owner_ids)
            .order_by()
            .values("owner_id")
            .annotate(
                accounts=Count("*"),
                revenue_sum=Sum("revenue"),
                average_risk=Avg("decline_risk"),
                high_risk=Count("pk", filter=Q(decline_risk__gte=self.bands["high"])),
                without_step=Count("pk", filter=Q(no_step=True)),
                overdue=Count("pk", filter=Q(no_step=False, next_step_due__lt=self.today)),
                **{f"stage_{stage.value}": count for stage, count in per_stage.items()},
            )
        )

    def _interactions_per_manager(self, owner_ids: list[int]) -> dict[int, int]:
        """Interactions of the last 30 days on the accounts in view of `owner_ids`, per
        manager."""
        in_view = self.lines.filter(owner_id__in=owner_ids).values("account_id")
        recent = (
            Interaction.objects.filter(
                account_id__in=in_view,
                occurred_on__gt=self.today - datetime.timedelta(days=30),
            )
            .order_by()
            .values("account__owner_id")
            .annotate(n=Count("*"))
            .values_list("account__owner_id", "n")
        )
        return dict(recent)

    # The period: where each account stood 4 or 13 weeks before its latest week

    def transitions(self, *, days: int) -> Transitions:
        """How many accounts went from each stage they held at the start of the period (30 or
        90 days: 4 or 13 weeks back) to each stage now."""
        past = "stage_4w" if days == 30 else "stage_13w"
        counts = self._counted(
            (past, "stage"), tally_sums=(Sum("accounts"),), line_sums=(Count("*"),)
        )
        return Transitions({(Stage(a), Stage(b)): sums[0] for (a, b), sums in counts.items() if a})

    def movers(self, *, days: int) -> tuple[list[Move], list[Move]]:
        """The biggest climbers and sliders over the period (30 or 90 days): each list cut by
        the database, then ranked by `panels.movers` as any list of rows would be."""
        change = "change_4w" if days == 30 else "change_13w"
        climbing = self.lines.filter(**{f"{change}__gte": 0.5}).order_by(f"-{change}", "name")
        slipping = self.lines.filter(**{f"{change}__lte": -0.5}).order_by(change, "name")
        candidates = [
            *self._rows(climbing, PANEL_LENGTH, past=days),
            *self._rows(slipping, PANEL_LENGTH, past=days),
        ]
        return panels.movers(candidates, days=days)

    # The lists: the first few by the panel's own order

    def at_risk(self) -> list[PortfolioRow]:
        riskiest = self.lines.filter(decline_risk__gt=0).order_by(
            "-decline_risk", "-revenue", "name"
        )
        return panels.at_risk(self._rows(riskiest, PANEL_LENGTH))

    def could_become_partners(self) -> list[PortfolioRow]:
        potential, stage = self.filters.potential, self.filters.stage
        if (potential and potential not in panels.POTENTIAL_PARTNER_VALUES) or (
            stage and Stage(stage) in panels.PARTNERSHIP_STAGES
        ):
            return []  # the filters leave none: no need to search the lines for them
        found = self.lines.filter(potential__in=panels.POTENTIAL_PARTNER_VALUES).exclude(
            stage__in=[stage.value for stage in panels.PARTNERSHIP_STAGES]
        )
        ranked = found.order_by("-score", "name")
        return panels.could_become_partners(self._rows(ranked, PANEL_LENGTH))

    def neglected_regulars(self) -> list[PortfolioRow]:
        if self.filters.potential not in ("", panels.REGULAR_VALUE):
            return []  # the filters leave none
        found = self.lines.filter(silence=True, potential=panels.REGULAR_VALUE)
        ranked = found.order_by("-decline_risk", "name")
        return panels.neglected_regulars(self._rows(ranked, PANEL_LENGTH))

    def perception_gaps(self) -> list[PortfolioRow]:
        ranked = self.lines.filter(perception_gap=True).order_by("-decline_risk", "name")
        return panels.perception_gaps(self._rows(ranked, PANEL_LENGTH))

    # The map

    def map_bins(self) -> list[MapBin]:
        """How many accounts fall in each square of the score-risk plane (at most 400)."""
        squares = self._counted(
            ("score_bin", "risk_bin"), tally_sums=(Sum("accounts"),), line_sums=(Count("*"),)
        )
        return [MapBin(score, risk, sums[0]) for (score, risk), sums in squares.items()]

    def map_points(self, *, accounts: int, trails: bool) -> list[PortfolioRow]:
        """The accounts the map draws one by one: all of them while the view holds no more
        than `MAP_ALL_POINTS` (`accounts` in all), else the `MAP_TOP_POINTS` riskiest. With
        `trails`, each with its standing of 13 weeks before, for its trail."""
        limit = accounts if accounts <= MAP_ALL_POINTS else MAP_TOP_POINTS
        riskiest = self.lines.order_by("-decline_risk", "-revenue", "name")
        return self._rows(riskiest, limit, past=90 if trails else None)

    # Rows

    def _rows(
        self, lines: QuerySet[StandingLine], limit: int, *, past: int | None = None
    ) -> list[PortfolioRow]:
        """The first `limit` lines as dashboard rows, in the lines' order (one query: the lines
        ranked on their index, then only those read in full with their snapshots and
        accounts); with `past` (30 or 90 days), each with its score and stage (and, 90 days
        back, its risk) as of then."""
        line = "account__standing_line__"
        # The panels order the lines by their own fields, named as text.
        fields = [str(field) for field in lines.query.order_by]
        order = [f"-{line}{f[1:]}" if f.startswith("-") else f"{line}{f}" for f in fields]
        chosen = lines.values("snapshot_id")[:limit]
        found = list(
            ScoreSnapshot.objects.filter(pk__in=chosen)
            .order_by(*order)
            .values_list(
                *_columns(account="account__", snapshot=""),
                *(f"{line}{field}" for field in _PAST_COLUMNS),
            )
        )
        rows = _portfolio_rows((row[:20] for row in found), self.engine_profile)
        for row, found_row in zip(rows, found, strict=True):
            score_4w, stage_4w, score_13w, stage_13w, risk_13w = found_row[20:]
            if past == 30 and score_4w is not None:
                row.score_30, row.stage_30 = score_4w, Stage(stage_4w)
            elif past == 90 and score_13w is not None:
                row.score_90, row.stage_90 = score_13w, Stage(stage_13w)
                row.decline_risk_90 = risk_13w
        return rows


_PAST_COLUMNS = ("score_4w", "stage_4w", "score_13w", "stage_13w", "decline_risk_13w")
