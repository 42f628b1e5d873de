"""Writers at the same moment: nothing is lost and every account's scores add up.

Real threads, each with its own connection to the test database, post through the same
page the managers use ("log a meeting") and run the same recompute command as operators.
Pauses placed inside the writes (a logged meeting holds its transaction open between its
insert and the rescore; the recompute holds the portfolio for a moment) make the writes
overlap on every run instead of by luck, and each test checks that they did.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from relationships.models import Interaction, SignalType
from scoring import account_status, use_cases
from scoring import services as scoring_services
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
from scoring.services import account_rescore, profile_activate, profile_draft, scores_recompute
from scoring.standing_lines import lines_rebuild
from scoring.use_cases import account_mark_lost
from tests.factories import AccountFactory, InteractionFactory, TrustSignalFactory
from tests.reliability.support import ON_POSTGRESQL, Running, run_together, snapshot_rows

pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRESQL,
        reason=(
            "concurrent writers need PostgreSQL: the SQLite test database is an in-memory "
            "database that threads share through SQLite's shared cache, where a second writer "
            "fails at once with 'database table is locked' instead of waiting its turn"
        ),
    ),
    pytest.mark.django_db(transaction=True),  # the threads must see each other's commits
]

HTMX = {"HTTP_HX_REQUEST": "true"}
HOLD = 0.25  # seconds each write keeps its transaction open before rescoring


def _signal(slug: str) -> int:
    return SignalType.objects.get(slug=slug).pk


def _history(account) -> None:
    """A few weeks of ordinary contact, so the account has a standing before the race."""
    today = timezone.localdate()
    for weeks_ago in (9, 6, 3):
        day = today - datetime.timedelta(weeks=weeks_ago)
        interaction = InteractionFactory(account=account, occurred_on=day)
        TrustSignalFactory(account=account, interaction=interaction, observed_on=day)
    account_rescore(account_id=account.pk)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def slow_writes(monkeypatch):
    """Each logged meeting waits HOLD seconds between its insert and the rescore."""
    real = use_cases.account_rescore_now

    def held(**kwargs):
        time.sleep(HOLD)
        return real(**kwargs)

    monkeypatch.setattr(use_cases, "account_rescore_now", held)


def _poster(client: Client, account, notes: str, slug: str):
    def post():
        return client.post(
            reverse("interaction-new", args=[account.pk]),
            {
                "occurred_on": timezone.localdate().isoformat(),
                "kind": "meeting",
                "notes": notes,
                "signals": [_signal(slug)],
            },
            **HTMX,
        )

    return post


def test_two_managers_logging_on_one_account_at_once_both_land_and_scores_add_up(
    alice, bob, slow_writes
):
    account = AccountFactory(name="Northwind Freight", owner=alice)
    account.shared_with.add(bob)
    _history(account)
    meetings = {"alice": "Alice: planning workshop", "bob": "Bob: steering committee"}

    alices, bobs = run_together(
        _poster(_signed_in(alice), account, meetings["alice"], "invited_to_planning"),
        _poster(_signed_in(bob), account, meetings["bob"], "strategy_advice_requested"),
    )

    # Both managers were told their meeting was logged...
    for outcome in (alices, bobs):
        assert outcome.result.status_code == 200
        assert "Logged" in outcome.result.content.decode()
    # ...the two requests were in flight together...
    assert alices.started < bobs.finished and bobs.started < alices.finished
    # ...and both meetings are on the account, each with its signal.
    logged = {
        i.notes: (i.logged_by.username, [s.signal_type.slug for s in i.signals.all()])
        for i in Interaction.objects.filter(account=account, notes__in=meetings.values())
    }
    assert logged == {
        meetings["alice"]: ("alice", ["invited_to_planning"]),
        meetings["bob"]: ("bob", ["strategy_advice_requested"]),
    }

    # What each was told chains up: the later write started from the standing the earlier
    # one left, not from the standing both saw before they began.
    first, second = sorted((alices, bobs), key=lambda outcome: outcome.finished)
    first_move = re.search(r"score (\d+) → (\d+)", first.result.content.decode()).groups()
    second_move = re.search(r"score (\d+) → (\d+)", second.result.content.decode()).groups()
    assert first_move[0] != first_move[1]  # the first meeting moved the score...
    assert second_move[0] == first_move[1]  # ...and the second one was told from there

    # The stored weekly history is exactly what a clean rescore gives.
    stored = snapshot_rows([account.pk])
    assert stored, "the account has no snapshots"
    latest = ScoreSnapshot.objects.get(account=account, is_latest=True)
    assert f"{latest.score:.0f}" == second_move[1]  # the account shows what was said last
    account_rescore(account_id=account.pk)
    assert snapshot_rows([account.pk]) == stored


def test_a_full_recompute_and_live_logging_together_lose_nothing(
    alice, bob, slow_writes, monkeypatch
):
    accounts = {
        "alice": [AccountFactory(owner=alice), AccountFactory(owner=alice)],
        "bob": [AccountFactory(owner=bob), AccountFactory(owner=bob)],
    }
    everyone = [account for owned in accounts.values() for account in owned]
    for account in everyone:
        _history(account)
    scores_recompute()

    window = _recompute_held_before_writing(monkeypatch)
    spans: list[tuple[float, float]] = []
    spans_lock = threading.Lock()

    alices, bobs, _ = run_together(
        _meetings_logged(alice, accounts["alice"], "alice", spans, spans_lock),
        _meetings_logged(bob, accounts["bob"], "bob", spans, spans_lock),
        _recompute_soon,
    )
    monkeypatch.undo()  # the clean recompute below runs unpatched

    for response in alices.result + bobs.result:
        assert response.status_code == 200
        assert "Logged" in response.content.decode()
    # The two really overlapped: meetings were being logged while the recompute ran.
    assert len(window) == 2
    overlapping = [span for span in spans if span[0] < window[1] and span[1] > window[0]]
    assert len(overlapping) >= 2, (window, spans)

    # Every meeting is there, on the account it was logged on.
    for who, owned in accounts.items():
        for n in range(4):
            notes = f"{who}: meeting {n}"
            assert Interaction.objects.filter(account=owned[n % 2], notes=notes).count() == 1

    # Every account's weekly history, and the dashboard's lines and tallies, are what a
    # clean recompute gives.
    stored = snapshot_rows([account.pk for account in everyone])
    dashboard = _dashboard_rows()
    scores_recompute()
    assert snapshot_rows([account.pk for account in everyone]) == stored
    assert _dashboard_rows() == dashboard


def _dashboard_rows() -> tuple:
    """The dashboard's lines and tallies, without their ids (the floating sums to the cent);
    each line repeats its account's latest snapshot."""
    latest = dict(
        ScoreSnapshot.objects.filter(is_latest=True, profile__is_active=True).values_list(
            "account_id", "pk"
        )
    )
    lines = sorted(
        StandingLine.objects.values_list("account_id", "snapshot_id", "score", "stage", "revenue")
    )
    assert all(latest[account] == snapshot for account, snapshot, *_ in lines)
    kept = [(account, *rest) for account, _, *rest in lines]
    # What the dashboard counts: the tallies with the changes not folded yet.
    groups: dict[tuple, list] = {}
    for model in (StandingTally, StandingTallyChange):
        for *key, n, revenue, at_risk in model.objects.values_list(
            *STANDING_TALLY_KEY, "accounts", "revenue", "revenue_at_risk"
        ):
            sums = groups.setdefault(tuple(key), [0, 0, 0])
            sums[0], sums[1], sums[2] = sums[0] + n, sums[1] + revenue, sums[2] + at_risk
    standing = sorted((*key, *sums) for key, sums in groups.items() if sums[0])
    counted: dict[tuple, int] = {}
    for square_model in (MapTally, MapTallyChange):
        for *key, n in square_model.objects.values_list(*MAP_TALLY_KEY, "accounts"):
            counted[tuple(key)] = counted.get(tuple(key), 0) + n
    squares = sorted((*key, n) for key, n in counted.items() if n)
    return kept, standing, squares


def test_managers_logging_at_once_on_accounts_counted_together_keep_the_tallies_true(
    alice, bob, slow_writes
):
    """Six meetings at once on six accounts alike (one industry, potential and stage): each
    rescore moves its account between the same few groups of the dashboard's tallies, and
    every one of them lands without a deadlock or a lost count."""
    accounts = [AccountFactory(owner=(alice, bob)[n % 2]) for n in range(6)]
    for account in accounts:
        _history(account)
    outcomes = run_together(
        *(
            _poster(_signed_in(account.owner), account, f"meeting {n}", "strategy_advice_requested")
            for n, account in enumerate(accounts)
        )
    )
    for outcome in outcomes:
        assert outcome.result.status_code == 200
        assert "Logged" in outcome.result.content.decode()
    first_done = min(outcome.finished for outcome in outcomes)
    assert all(outcome.started < first_done for outcome in outcomes)  # they overlapped

    left = _dashboard_rows()
    assert sum(row[-3] for row in left[1]) == 6  # every account counted once
    assert StandingTallyChange.objects.count() == 0  # each write's change folded after it
    lines_rebuild(profile=profile_active())
    assert _dashboard_rows() == left


def _recompute_held_before_writing(monkeypatch) -> list[float]:
    """Make the recompute pause while it holds the portfolio, once it has read the evidence
    and cleared the old snapshots, before writing the new ones: the window where a meeting
    logged meanwhile would be overwritten by scores computed without it. Returns the window,
    (start, end) in monotonic seconds once the recompute has written."""
    real_write = scoring_services.snapshots_write
    window: list[float] = []

    def slow_write(**kwargs):
        window.append(time.monotonic())
        time.sleep(0.5)
        rows = real_write(**kwargs)
        window.append(time.monotonic())
        return rows

    monkeypatch.setattr(scoring_services, "snapshots_write", slow_write)
    return window


def _meetings_logged(
    user,
    owned: list,
    who: str,
    spans: list[tuple[float, float]],
    spans_lock: threading.Lock,
) -> Callable[[], list]:
    """A job for a thread: `user` logs four meetings, in turn on their two accounts, one
    after the other, adding when each request ran to `spans`; returns the responses."""
    client = _signed_in(user)

    def log_meetings():
        responses = []
        for n in range(4):
            account = owned[n % 2]
            start = time.monotonic()
            responses.append(
                _poster(client, account, f"{who}: meeting {n}", "delivered_as_promised")()
            )
            with spans_lock:
                spans.append((start, time.monotonic()))
            time.sleep(0.05)
        return responses

    return log_meetings


def _recompute_soon() -> None:
    """The operators' full recompute, a moment after the meetings start."""
    time.sleep(0.05)  # let the first meetings take their accounts' locks first
    call_command("recompute_scores", verbosity=0)


class Checkpoints:
    """Places where a thread stops until the test lets it go on."""

    def __init__(self, *names: str) -> None:
        self._reached = {name: threading.Event() for name in names}
        self._go_on = {name: threading.Event() for name in names}

    def stop_at(self, name: str) -> None:
        self._reached[name].set()
        self._go_on[name].wait(timeout=15)

    def wait_for(self, name: str) -> None:
        assert self._reached[name].wait(timeout=10), f"never reached {name!r}"

    def go_on(self, name: str) -> None:
        self._go_on[name].set()

    def release_all(self) -> None:
        for event in self._go_on.values():
            event.set()


@pytest.mark.parametrize("added", ["after its locks", "after its evidence read"])
def test_an_account_added_while_a_recompute_runs_keeps_the_meeting_logged_on_it(
    alice, monkeypatch, added
):
    existing = AccountFactory(owner=alice)
    _history(existing)
    scores_recompute()

    # The recompute stops after locking the portfolio (just before reading its evidence), and
    # again once it has read it; the test adds the new account at one of those moments.
    real_read = scoring_services.evidence_for_accounts
    recompute_at = Checkpoints("after its locks", "after its evidence read")

    def read_with_stops(*, account_ids=None):
        # The recompute's read (its chunk holds the existing account), not the new account's
        # own rescore.
        whole = account_ids is None or existing.pk in account_ids
        if whole:
            recompute_at.stop_at("after its locks")
        evidence = real_read(account_ids=account_ids)
        if whole:
            recompute_at.stop_at("after its evidence read")
        return evidence

    monkeypatch.setattr(scoring_services, "evidence_for_accounts", read_with_stops)
    recompute = Running(lambda: call_command("recompute_scores", verbosity=0))
    try:
        recompute_at.wait_for("after its locks")
        if added == "after its locks":
            new = AccountFactory(name="Harbour Logistics", owner=alice)
        recompute_at.go_on("after its locks")
        recompute_at.wait_for("after its evidence read")
        if added == "after its evidence read":
            new = AccountFactory(name="Harbour Logistics", owner=alice)
        # The new client's manager logs the kick-off meeting at once.
        notes = "Kick-off with the new client"
        kickoff = _poster(_signed_in(alice), new, notes, "invited_to_planning")
        logged = Running(kickoff).wait(timeout=10)
    finally:
        recompute_at.release_all()
    recompute.wait(timeout=15)
    monkeypatch.undo()

    assert logged.result.status_code == 200 and "First score" in logged.result.content.decode()
    assert Interaction.objects.filter(account=new, notes=notes).exists()
    # The new account keeps the score its manager was just shown, as a clean recompute gives
    # it, and the existing account's history is intact too.
    stored = snapshot_rows([new.pk, existing.pk])
    assert any(row[0] == new.pk for row in stored), "the new account lost its scores"
    scores_recompute()
    assert snapshot_rows([new.pk, existing.pk]) == stored


def test_deleting_an_account_while_it_is_being_edited_keeps_the_tallies(alice):
    """An account deleted in the admin while a manager's save of it is still open: the
    deletion waits for the save, then takes away the line the save left."""
    doomed = AccountFactory(owner=alice, industry="Old")
    other = AccountFactory(owner=alice, industry="Old")
    for account in (doomed, other):
        _history(account)
    scores_recompute(workers=1)
    at = Checkpoints("saved")

    def edit():
        with transaction.atomic():
            account = Account.objects.get(pk=doomed.pk)
            account.industry = "New"
            account.save()  # its line moves to the "New" groups; the row lock is held
            at.stop_at("saved")

    editing = Running(edit)
    at.wait_for("saved")
    deleting = Running(lambda: Account.objects.get(pk=doomed.pk).delete())
    time.sleep(0.5)  # lines_forget has read the old line and waits on its row
    at.go_on("saved")
    editing.wait(timeout=10)
    deleting.wait(timeout=10)

    assert not Account.objects.filter(pk=doomed.pk).exists()
    _assert_as_rebuilt()


_ACCOUNTS_HEAD = (
    "external_id,name,industry,owner_username,annual_revenue,partnership_potential,status,lost_on\n"
)
_INTERACTIONS_HEAD = (
    "external_id,account_external_id,occurred_on,kind,initiated_by_client,notes,signals\n"
)


def _meetings(account: str) -> str:
    today = timezone.localdate()
    return "".join(
        f"{account}-{n},{account},{today - datetime.timedelta(weeks=w)},meeting,false,,\n"
        for n, w in enumerate((9, 6, 3))
    )


def _import(accounts: str, *meetings_of: str):
    """Import accounts.csv rows (`external_id,name,industry`, the rest fixed) and three
    meetings for each account of `meetings_of`."""
    rows = "".join(f"{row},alice,100,unknown,active,\n" for row in accounts.split(";"))
    return use_cases.portfolio_import(
        files={
            "accounts.csv": (_ACCOUNTS_HEAD + rows).encode(),
            "interactions.csv": (
                _INTERACTIONS_HEAD + "".join(_meetings(account) for account in meetings_of)
            ).encode(),
        },
        dry_run=False,
        workers=1,
    )


def test_an_import_and_an_account_edit_at_once_do_not_deadlock_on_the_tallies(alice, monkeypatch):
    """The import changes the tallies twice in one transaction (the rescore of the accounts
    whose evidence changed, then the accounts it only edited), between which an edit of
    another account changes groups the import holds and wants: the tallies' lock keeps them
    from waiting on each other."""
    first = _import("Y,Yonder,Zeta;Z,Zenith,Alpha", "Y", "Z")
    assert first.ok, first.problems
    assert StandingLine.objects.count() == 2

    at = Checkpoints("rescored")
    real = use_cases.lines_refresh

    def held(**kwargs):  # facts_changed, after the rescore of the new account
        at.stop_at("rescored")
        return real(**kwargs)

    monkeypatch.setattr(use_cases, "lines_refresh", held)
    # Y moves from Zeta to Alpha (its facts only); N is new in Zeta, with meetings.
    importing = Running(lambda: _import("Y,Yonder,Alpha;N,Newco,Zeta", "N"))
    at.wait_for("rescored")

    def edit():  # a manager moves Zenith from Alpha to Zeta
        with transaction.atomic():
            zenith = Account.objects.get(external_id="Z")
            zenith.industry = "Zeta"
            zenith.save()

    editing = Running(edit)
    time.sleep(0.5)  # the edit holds Alpha's group and waits for Zeta's
    at.go_on("rescored")
    errors = []
    for name, job in (("import", importing), ("edit", editing)):
        try:
            job.wait(timeout=15)
        except Exception as error:  # noqa: BLE001 (any failure is the finding)
            errors.append(f"{name}: {type(error).__name__}: {error}")
    assert errors == []
    _assert_as_rebuilt()


def test_a_win_back_while_a_version_goes_live_leaves_its_line_under_the_new_version(
    alice, lena, monkeypatch
):
    """A lost account won back (active again, its line refreshed under v1) while v2 goes
    live: the version waits for the win-back's lock on the tallies, then replaces every line,
    the won-back account's included, under v2."""
    comeback = AccountFactory(owner=alice, industry="Solo")
    steady = AccountFactory(owner=alice, industry="Steady")
    for account in (comeback, steady):
        _history(account)
    scores_recompute(workers=1)
    account_mark_lost(account=comeback, actor=lena, lost_on=timezone.localdate(), reason="price")
    v1 = profile_active()
    v2 = profile_draft(source=v1, actor=lena)
    scores_recompute(profile=v2, workers=1)  # v2's history is complete (a rollout's chunks)

    at = Checkpoints("won back")
    real = account_status.account_rescore_now

    def held(**kwargs):
        at.stop_at("won back")
        return real(**kwargs)

    monkeypatch.setattr(account_status, "account_rescore_now", held)
    reopening = Running(
        lambda: account_status.account_reopen(
            account=Account.objects.get(pk=comeback.pk), actor=lena
        )
    )
    at.wait_for("won back")
    going_live = Running(lambda: profile_activate(profile=v2))  # the rollout's last chunk
    time.sleep(0.5)  # v2 goes live while the win-back still holds its transaction open
    at.go_on("won back")
    reopening.wait(timeout=15)
    going_live.wait(timeout=15)
    monkeypatch.undo()

    assert profile_active().pk == v2.pk
    assert set(StandingLine.objects.values_list("profile_id", flat=True)) == {v2.pk}, (
        "a line is left under the version that is no longer live"
    )
    _assert_as_rebuilt()


def _assert_as_rebuilt() -> None:
    """The dashboard's lines and tallies are what a rebuild from the database gives."""
    left = _dashboard_rows()
    with transaction.atomic():
        lines_rebuild(profile=profile_active())
    assert _dashboard_rows() == left
