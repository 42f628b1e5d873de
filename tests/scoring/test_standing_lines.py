"""The dashboard's lines (scoring/standing_lines.py): every write that changes an account's
standing or its facts leaves its line as a rebuild from the database would make it."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.models import Account
from relationships.models import SignalType, TrustSignal
from scoring.dashboard.filters import DashboardFilters
from scoring.dashboard.summary import Standings
from scoring.models import (
    MAP_TALLY_KEY,
    STANDING_TALLY_KEY,
    MapTally,
    MapTallyChange,
    ScoreSnapshot,
    StandingLine,
    StandingTally,
    StandingTallyChange,
)
from scoring.selectors import profile_active
from scoring.services import (
    account_rescore,
    profile_activate,
    profile_draft,
    profile_update,
    scores_recompute,
)
from scoring.standing_lines import lines_missing_build, lines_rebuild
from scoring.use_cases import account_mark_lost, portfolio_import
from tests.factories import AccountFactory, InteractionFactory

TODAY = datetime.date(2026, 11, 20)
FIELDS = [
    field.name
    for field in StandingLine._meta.concrete_fields
    if field.name not in ("id", "snapshot_id")
]


def _lines() -> dict[int, tuple]:
    return {
        line.account_id: tuple(getattr(line, f) for f in FIELDS)
        for line in StandingLine.objects.all()
    }


def _tallies() -> dict:
    """Both tallies with the changes not folded yet added, group by group (empty groups
    left out): what the dashboard counts."""
    standing: dict[tuple, list] = {}
    for model in (StandingTally, StandingTallyChange):
        for row in model.objects.all():
            key = (row.profile_id, *(getattr(row, field) for field in STANDING_TALLY_KEY))
            sums = standing.setdefault(key, [0, 0, 0, 0])
            for index, field in enumerate(
                ("accounts", "revenue", "revenue_at_risk", "revenue_squared")
            ):
                sums[index] += getattr(row, field)
    squares: dict[tuple, int] = {}
    for square_model in (MapTally, MapTallyChange):
        for square in square_model.objects.all():
            key = (square.profile_id, *(getattr(square, field) for field in MAP_TALLY_KEY))
            squares[key] = squares.get(key, 0) + square.accounts
    return {
        "standing": {
            key: (n, revenue, round(at_risk, 2), round(squared))
            for key, (n, revenue, at_risk, squared) in standing.items()
            if n
        },
        "map": {key: n for key, n in squares.items() if n},
    }


_DERIVED = (StandingLine, StandingTally, MapTally, StandingTallyChange, MapTallyChange)


def _kept_and_rebuilt() -> tuple[tuple, tuple]:
    """The lines and tallies the writes left, and those a rebuild from the database gives
    now (the ones left are put back)."""
    kept = (_lines(), _tallies())
    rows = [list(model.objects.all()) for model in _DERIVED]
    lines_rebuild(profile=profile_active())
    rebuilt = (_lines(), _tallies())
    for model, saved in zip(_DERIVED, rows, strict=True):
        model.objects.all().delete()  # type: ignore[attr-defined]
        model.objects.bulk_create(saved)  # type: ignore[attr-defined]
    return kept, rebuilt


def _as_rebuilt() -> dict[int, tuple]:
    """The lines a rebuild gives now, after checking that the tallies the writes left are
    the tallies a rebuild gives."""
    (lines, tallies), (rebuilt_lines, rebuilt_tallies) = _kept_and_rebuilt()
    assert tallies == rebuilt_tallies
    return rebuilt_lines


@pytest.fixture
def scored(alice, bob):
    """Three accounts with a year of meetings, scored under the live version."""
    accounts = [
        AccountFactory(name="North", owner=alice, annual_revenue=100_000),
        AccountFactory(name="East", owner=alice, partnership_potential="regular"),
        AccountFactory(name="South", owner=bob, industry="Retail"),
    ]
    for n, account in enumerate(accounts):
        for month in range(1, 12, 1 + n):
            InteractionFactory(account=account, occurred_on=datetime.date(2026, month, 3))
    scores_recompute(as_of=TODAY, workers=1)
    return accounts


def test_a_recompute_writes_one_line_per_active_account_with_its_weeks_before(scored):
    north = scored[0]
    line = StandingLine.objects.get(account=north)
    latest = ScoreSnapshot.objects.get(account=north, is_latest=True)
    four_back = ScoreSnapshot.objects.get(
        account=north, week_ending=latest.week_ending - datetime.timedelta(weeks=4)
    )
    thirteen_back = ScoreSnapshot.objects.get(
        account=north, week_ending=latest.week_ending - datetime.timedelta(weeks=13)
    )
    assert (line.snapshot_id, line.score, line.stage) == (latest.pk, latest.score, latest.stage)
    assert (line.name, line.owner_id, line.revenue) == ("North", north.owner_id, 100_000)
    assert (line.score_4w, line.stage_4w) == (four_back.score, four_back.stage)
    assert line.change_4w == pytest.approx(latest.score - four_back.score)
    assert (line.score_13w, line.decline_risk_13w) == (
        thirteen_back.score,
        thirteen_back.decline_risk,
    )
    assert StandingLine.objects.count() == 3
    assert _lines() == _as_rebuilt()


def test_editing_an_account_moves_its_line_with_it(scored, bob):
    north = scored[0]
    north.annual_revenue = 900_000
    north.owner = bob
    north.industry = "Energy"
    north.next_step = "Invite them to the planning day"
    north.save()
    line = StandingLine.objects.get(account=north)
    assert (line.revenue, line.owner_id, line.industry, line.no_step) == (
        900_000,
        bob.pk,
        "Energy",
        False,
    )
    assert _lines() == _as_rebuilt()


def test_a_lost_archived_or_deleted_account_leaves_the_dashboard(scored, alice):
    north, east, south = scored
    account_mark_lost(account=north, actor=alice, lost_on=TODAY, reason="price")
    east.status = "archived"
    east.save()
    south.delete()
    assert StandingLine.objects.count() == 0
    assert _as_rebuilt() == {}
    assert _tallies() == {"standing": {}, "map": {}}  # no group left with no account


def test_new_evidence_refreshes_the_line_in_the_rescore(scored):
    south = scored[2]
    before = StandingLine.objects.get(account=south)
    meeting = InteractionFactory(account=south, occurred_on=TODAY)
    TrustSignal.objects.create(
        interaction=meeting,
        account=south,
        signal_type=SignalType.objects.get(slug="invited_to_planning"),
        observed_on=TODAY,
    )
    account_rescore(account_id=south.pk, as_of=TODAY)
    after = StandingLine.objects.get(account=south)
    assert after.score > before.score
    assert after.snapshot_id == ScoreSnapshot.objects.get(account=south, is_latest=True).pk
    assert _lines() == _as_rebuilt()


def test_importing_a_changed_revenue_or_owner_refreshes_the_line(scored, bob):
    north = scored[0]
    north.external_id = "N1"
    north.save()
    accounts = (
        "external_id,name,industry,owner_username,annual_revenue,partnership_potential,status,"
        "lost_on\nN1,North,Logistics,bob,777000,regular,active,\n"
    )
    files = {
        "accounts.csv": accounts.encode(),
        "interactions.csv": b"external_id,account_external_id,occurred_on,kind,"
        b"initiated_by_client,notes,signals\n",
    }
    report = portfolio_import(files=files, dry_run=False, today=TODAY)
    assert not list(report.problems), list(report.problems)
    line = StandingLine.objects.get(account=north)
    assert (line.revenue, line.owner_id, line.potential) == (777_000, bob.pk, "regular")
    assert _lines() == _as_rebuilt()


def test_only_the_live_version_has_lines_and_going_live_replaces_them(scored, alice):
    live = profile_active()
    draft = profile_draft(source=live, actor=alice)
    params = {**draft.params, "stage_thresholds": {**draft.params["stage_thresholds"]}}
    params["stage_thresholds"]["confidant"] = 5
    draft = profile_update(profile=draft, params=params, actor=alice)
    before = _lines()
    scores_recompute(profile=draft, as_of=TODAY, workers=1)
    assert _lines() == before  # a draft's scores are not the dashboard's

    profile_activate(profile=draft)
    assert set(StandingLine.objects.values_list("profile", flat=True)) == {draft.pk}
    assert _lines() == _as_rebuilt()
    assert StandingLine.objects.count() == 3


def test_a_database_from_before_the_lines_gets_them_after_migrating(scored):
    StandingLine.objects.all().delete()
    assert lines_missing_build() == 3
    assert StandingLine.objects.count() == 3
    assert lines_missing_build() == 0  # already there: nothing to do


def test_the_dashboard_pages_its_managers_by_name(client, lena, scored, django_user_model):
    profile = profile_active()
    managers = [
        django_user_model.objects.create(username=f"m{n:02}", first_name=f"Manager {n:02}")
        for n in range(30)
    ]
    for manager in managers:
        AccountFactory(owner=manager)
    for account in Account.objects.filter(owner__in=managers):
        InteractionFactory(account=account, occurred_on=datetime.date(2026, 10, 1))
        account_rescore(account_id=account.pk, as_of=TODAY)
    assert StandingLine.objects.filter(profile=profile).count() == 33
    client.force_login(lena)

    first = client.get(reverse("dashboard")).content.decode()
    table = _by_manager(first)
    assert "Managers 1–25, by name; more follow" in table  # alice, bob and the thirty
    assert "Alice" in table and "Manager 22" in table and "Manager 23" not in table
    assert "managers_page=2" in table and "Previous managers" not in table

    second = client.get(reverse("dashboard"), {"managers_page": "2", "industry": "Logistics"})
    html = _by_manager(second.content.decode())
    assert "Managers 26–31, by name</p>" in html  # Bob's Retail account is out of view
    assert "Manager 29" in html and "Manager 22" not in html
    assert "industry=Logistics&amp;managers_page=1" in html and "Next managers" not in html

    past_the_end = client.get(reverse("dashboard"), {"managers_page": "99"}).content.decode()
    assert "No managers past number 2450 in this view." in _by_manager(past_the_end)
    assert "First page of managers" in past_the_end and "Previous managers" not in past_the_end
    nonsense = client.get(reverse("dashboard"), {"managers_page": "-1x"}).content.decode()
    assert "Managers 1–25, by name" in _by_manager(nonsense)


def _by_manager(html: str) -> str:
    """The by-manager table and what follows it (the manager filter lists every manager)."""
    return html[html.index('data-testid="by-manager"') :]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"industry": "Retail"},
        {"potential": "regular"},
        {"stage": "vendor"},
        {"risk_band": "low"},
        {"industry": "Logistics", "stage": "confidant", "risk_band": "medium"},
    ],
)
def test_the_tallies_add_up_to_what_the_lines_in_view_give(scored, filters):
    """The dashboard sums the tallies unless a manager or a revenue range is chosen; either
    way the tiles, the bands, the transitions and the map's squares are the same."""
    for n in range(12):
        account = AccountFactory(
            industry=("Retail", "Logistics")[n % 2],
            partnership_potential=("regular", "strategic", "unknown")[n % 3],
            annual_revenue=10_000 * (n + 1),
        )
        for month in range(1 + n % 4, 12, 2 + n % 3):
            InteractionFactory(account=account, occurred_on=datetime.date(2026, month, 9))
    scores_recompute(as_of=TODAY, workers=1)
    standings = Standings(
        profile=profile_active(), filters=DashboardFilters(**filters), today=TODAY
    )
    assert standings.tallied

    def figures() -> tuple:
        overview = standings.overview(this_week=TODAY)
        totals = [
            (t.stage, t.accounts, t.revenue, round(t.revenue_at_risk, 2), round(t.revenue_squared))
            for t in overview.stages
        ]
        return (
            totals,
            overview.risk_bands,
            overview.latest_week,
            overview.behind,
            standings.transitions(days=30).counts,
            standings.transitions(days=90).counts,
            sorted(standings.map_bins(), key=lambda square: (square.score_bin, square.risk_bin)),
        )

    from_tallies = figures()
    standings.tallied = False
    from_lines = figures()
    assert from_tallies == from_lines
    if not filters:  # the whole book: every account, most of them with weeks before
        assert sum(total[1] for total in from_tallies[0]) == 15
        assert sum(from_tallies[4].values()) >= 12


def _seed(*extra: str) -> None:
    call_command(
        "seed_demo",
        "--accounts",
        "6",
        "--years",
        "1",
        "--as-of",
        "2026-11-18",
        *extra,
        stdout=StringIO(),
        stderr=StringIO(),
        verbosity=0,
    )


def test_loading_the_demo_again_leaves_the_lines_and_tallies_true(migrated_rows, alice):
    """The demo's reload removes the old accounts behind the lines' back (a flush, or raw
    deletes next to real data); its recompute of the whole portfolio builds them again."""
    _seed()
    _seed()
    assert StandingLine.objects.count() == 6
    (lines, tallies), (rebuilt_lines, rebuilt_tallies) = _kept_and_rebuilt()
    assert (lines, tallies) == (rebuilt_lines, rebuilt_tallies)
    assert sum(group[0] for group in tallies["standing"].values()) == 6

    AccountFactory(owner=alice, name="A real one")
    _seed("--force")
    kept, rebuilt = _kept_and_rebuilt()
    assert kept == rebuilt


@pytest.mark.parametrize("queued", [False, True], ids=["command", "queue"])
def test_a_recompute_of_the_whole_book_mends_lines_and_counts_changed_behind_its_back(
    scored, alice, monkeypatch, queued
):
    """Each chunk replaces its accounts' lines; the end sets the counts to what they give."""
    from scoring.jobs import recompute
    from tests.conftest import work_the_queue

    monkeypatch.setattr(recompute, "CHUNK", 2)  # two chunks, one and two accounts ahead
    InteractionFactory(account=AccountFactory(name="West", owner=alice), occurred_on=TODAY)
    StandingLine.objects.filter(account__name="North").delete()  # by hand: counted still
    StandingLine.objects.filter(account__name="East").update(score=1.0, stage="virtual_partner")
    StandingTally.objects.create(  # a group no line is in
        profile=profile_active(),
        industry="Mining",
        potential="regular",
        stage="vendor",
        risk_band="low",
        week_ending=TODAY,
        accounts=3,
        revenue=0,
        revenue_at_risk=0,
        revenue_squared=0,
    )

    if queued:
        call_command("recompute_scores", "--queue", "--as-of", str(TODAY), stdout=StringIO())
        work_the_queue()
    else:
        call_command("recompute_scores", "--as-of", str(TODAY), stdout=StringIO())

    (lines, tallies), (rebuilt_lines, rebuilt_tallies) = _kept_and_rebuilt()
    assert lines == rebuilt_lines and len(lines) == 4  # West's line made by the recompute
    assert tallies == rebuilt_tallies
    assert sum(group[0] for group in tallies["standing"].values()) == 4


def test_snapshots_cleared_by_a_migration_take_the_lines_with_them(scored):
    ScoreSnapshot.objects.all().delete()  # as a model upgrade's migration does (0008)
    lines_missing_build()  # after migrating (scoring/apps.py)
    assert StandingLine.objects.count() == 0
    assert _tallies() == {"standing": {}, "map": {}}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps decimals as floating point; PostgreSQL's numeric sums are exact",
)
def test_a_large_account_leaving_its_group_leaves_the_small_ones_sums_exact(alice):
    big = AccountFactory(owner=alice, industry="X", annual_revenue=900_000_000_000)
    small = AccountFactory(owner=alice, industry="X", annual_revenue=3)
    for account in (big, small):
        InteractionFactory(account=account, occurred_on=datetime.date(2026, 11, 3))
    scores_recompute(as_of=TODAY, workers=1)
    big.status = "archived"
    big.save()
    standings = Standings(profile=profile_active(), filters=DashboardFilters(), today=TODAY)
    tallied = sum(t.revenue_squared for t in standings.overview(this_week=TODAY).stages)
    standings.tallied = False
    from_lines = sum(t.revenue_squared for t in standings.overview(this_week=TODAY).stages)
    assert tallied == from_lines == 9.0  # the Herfindahl index of one account: 10,000


def test_a_managers_page_that_is_no_number_shows_the_first(client, lena, scored):
    client.force_login(lena)
    for nonsense in ("²", "-1x", "9" * 12):
        response = client.get(reverse("dashboard"), {"managers_page": nonsense})
        assert response.status_code == 200
        assert "Managers 1–2, by name" in _by_manager(response.content.decode())


def test_the_by_manager_table_leaves_out_a_manager_gone_from_view_between_its_reads(
    scored, monkeypatch
):
    """Each statement reads what is committed when it runs (READ COMMITTED, or a replica):
    Bob's only account is archived between the page's names and their sums."""
    real = Standings._manager_sums

    def racing(self, owner_ids):
        south = Account.objects.get(name="South")
        south.status = "archived"
        south.save()
        return real(self, owner_ids)

    monkeypatch.setattr(Standings, "_manager_sums", racing)
    standings = Standings(profile=profile_active(), filters=DashboardFilters(), today=TODAY)
    assert [line.owner_name for line in standings.managers(page=1).lines] == ["Alice"]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="autovacuum is PostgreSQL's; SQLite has none"
)
def test_the_lines_are_vacuumed_after_a_hundredth_of_them_change(db):
    # A revenue range sums the lines from their index alone only on pages vacuum has marked
    # all-visible, and every rescore rewrites a line.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s", ["scoring_standingline"]
        )
        (options,) = cursor.fetchone()
    assert set(options) == {
        "autovacuum_vacuum_scale_factor=0.01",
        "autovacuum_vacuum_insert_scale_factor=0.01",
    }
