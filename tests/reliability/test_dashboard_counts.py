"""The dashboard's lines and tallies under writes at the same moment, and after every kind of
write: no deadlock, no write waiting on unrelated ones, no account left off the dashboard, and
what a rebuild from the database gives (scoring/standing_lines.py, scoring/tallies.py)."""

from __future__ import annotations

import datetime
import time

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AccountStatus
from relationships import account_record
from scoring import services as scoring_services
from scoring import standing_lines as standing_lines_module
from scoring import use_cases
from scoring.models import StandingLine
from scoring.selectors import profile_active
from scoring.services import account_rescore, profile_activate, profile_draft, scores_recompute
from tests.factories import AccountFactory, InteractionFactory, TrustSignalFactory
from tests.reliability.support import ON_POSTGRESQL, Running
from tests.reliability.test_concurrency import Checkpoints, _assert_as_rebuilt

pg_only = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="writers at the same moment need PostgreSQL (the SQLite test database is shared "
    "in memory, where a second writer fails at once instead of waiting)",
)
pytestmark = [pytest.mark.django_db(transaction=True)]


def _history(account) -> None:
    today = timezone.localdate()
    for weeks_ago in (9, 6, 3):
        day = today - datetime.timedelta(weeks=weeks_ago)
        interaction = InteractionFactory(account=account, occurred_on=day)
        TrustSignalFactory(account=account, interaction=interaction, observed_on=day)
    account_rescore(account_id=account.pk)


def _finish(**jobs) -> list[str]:
    errors = []
    for name, job in jobs.items():
        try:
            job.wait(timeout=20)
        except Exception as error:  # noqa: BLE001
            errors.append(f"{name}: {type(error).__name__}: {str(error).splitlines()[0]}")
    return errors


@pg_only
def test_deleting_two_accounts_while_one_is_rescored_does_not_deadlock(alice, monkeypatch):
    first = AccountFactory(owner=alice, name="First")
    second = AccountFactory(owner=alice, name="Second")
    for account in (first, second):
        _history(account)
    at = Checkpoints("locked")
    real = scoring_services.evidence_for_accounts

    def held(*, account_ids=None):
        if account_ids == [second.pk]:
            at.stop_at("locked")  # the rescore holds `second`'s row lock here
        return real(account_ids=account_ids)

    monkeypatch.setattr(scoring_services, "evidence_for_accounts", held)
    rescoring = Running(lambda: account_rescore(account_id=second.pk))
    at.wait_for("locked")
    deleting = Running(lambda: Account.objects.filter(pk__in=[first.pk, second.pk]).delete())
    time.sleep(0.5)  # the deletion holds the first account and waits for the second
    at.go_on("locked")  # the rescore goes on to write its line and tallies
    assert _finish(rescore=rescoring, delete=deleting) == []


_ACCOUNTS_HEAD = (
    "external_id,name,industry,owner_username,annual_revenue,partnership_potential,status,"
    "lost_on,email_domains\n"
)


@pg_only
def test_an_account_edit_and_an_import_claiming_one_domain_do_not_deadlock(alice, monkeypatch):
    edited = AccountFactory(owner=alice, name="Edited")
    imported = AccountFactory(owner=alice, name="Imported", external_id="IMP")
    for account in (edited, imported):
        _history(account)
    at = Checkpoints("applied")
    real = use_cases.lines_refresh

    def held(**kwargs):  # facts_changed: the import has claimed acme.example already
        at.stop_at("applied")
        return real(**kwargs)

    monkeypatch.setattr(use_cases, "lines_refresh", held)
    importing = Running(
        lambda: use_cases.portfolio_import(
            files={
                "accounts.csv": (
                    _ACCOUNTS_HEAD + "IMP,Imported,,alice,0,unknown,active,,acme.example\n"
                ).encode(),
                "interactions.csv": _INTERACTIONS_HEAD.encode(),
            },
            dry_run=False,
            workers=1,
        )
    )
    at.wait_for("applied")

    def edit():
        with transaction.atomic():
            account = Account.objects.get(pk=edited.pk)
            account_record.account_details_update(
                account=account,
                actor=alice,
                details=account_record.AccountDetails(
                    name="Edited",
                    industry="Now with an industry",
                    owner=alice,
                    annual_revenue=account.annual_revenue,
                    partnership_potential=account.partnership_potential,
                    domains=("acme.example",),
                ),
            )

    editing = Running(edit)
    time.sleep(0.5)  # the edit has saved, and waits for the import's domain
    at.go_on("applied")  # the import goes on to its tallies and commits
    errors = _finish(importing=importing, editing=editing)
    # A clean outcome is the edit refused with a ValidationError about the domain.
    assert not any("eadlock" in error for error in errors), errors


_INTERACTIONS_HEAD = (
    "external_id,account_external_id,occurred_on,kind,initiated_by_client,notes,signals\n"
)
_PLAIN_HEAD = (
    "external_id,name,industry,owner_username,annual_revenue,partnership_potential,status,lost_on\n"
)


@pg_only
def test_an_import_and_a_version_going_live_do_not_deadlock(alice, lena, monkeypatch):
    # ids 1 < 2 < 3, names in another order: C(id1) B? -> the import takes A(id3) first.
    one = AccountFactory(owner=alice, name="Beta", external_id="E1")
    two = AccountFactory(owner=alice, name="Gamma", external_id="E2")
    three = AccountFactory(owner=alice, name="Alpha", external_id="E3")
    for account in (one, two, three):
        _history(account)
    v2 = profile_draft(source=profile_active(), actor=lena)
    scores_recompute(profile=v2, workers=1)
    holder = Checkpoints("holding")

    def hold_two():
        with transaction.atomic():
            Account.objects.select_for_update(no_key=True).filter(pk=two.pk).exists()
            holder.stop_at("holding")

    holding = Running(hold_two)
    holder.wait_for("holding")
    going_live = Running(lambda: profile_activate(profile=v2))  # locks one, waits on two
    time.sleep(0.5)
    importing = Running(  # locks three (Alpha), waits on one (Beta)
        lambda: use_cases.portfolio_import(
            files={
                "accounts.csv": (
                    _PLAIN_HEAD
                    + "E1,Beta,,alice,5,unknown,active,\n"
                    + "E2,Gamma,,alice,5,unknown,active,\n"
                    + "E3,Alpha,,alice,5,unknown,active,\n"
                ).encode(),
                "interactions.csv": _INTERACTIONS_HEAD.encode(),
            },
            dry_run=False,
            workers=1,
        )
    )
    time.sleep(0.5)
    holder.go_on("holding")
    errors = _finish(holding=holding, going_live=going_live, importing=importing)
    assert errors == []


@pg_only
def test_an_account_made_active_while_a_version_goes_live_gets_its_line(alice, lena, monkeypatch):
    back = AccountFactory(owner=alice, name="Back")
    steady = AccountFactory(owner=alice, name="Steady")
    for account in (back, steady):
        _history(account)
    Account.objects.filter(pk=back.pk).update(status=AccountStatus.ARCHIVED)
    v1 = profile_active()
    v2 = profile_draft(source=v1, actor=lena)
    scores_recompute(profile=v2, workers=1)
    scores_recompute(profile=v1, workers=1)  # v1's lines without the archived account
    assert not StandingLine.objects.filter(account=back).exists()

    at = Checkpoints("rebuilding")
    real = standing_lines_module.tallies_rebase

    def held(profile):
        at.stop_at("rebuilding")  # every account is held, the lines replaced
        return real(profile)

    monkeypatch.setattr(standing_lines_module, "tallies_rebase", held)
    going_live = Running(lambda: profile_activate(profile=v2))
    at.wait_for("rebuilding")

    def unarchive():  # as the admin's change form saves it
        with transaction.atomic():
            account = Account.objects.get(pk=back.pk)
            account.status = AccountStatus.ACTIVE
            account.save()

    saving = Running(unarchive)
    time.sleep(0.5)
    at.go_on("rebuilding")
    assert _finish(going_live=going_live, saving=saving) == []
    monkeypatch.undo()
    assert StandingLine.objects.filter(account=back).exists(), "active, but off the dashboard"
    _assert_as_rebuilt()


def test_migrating_back_before_the_lines_does_not_fail(alice):
    """An operator taking the scoring app back before the lines' migration: the check after
    migrating finds no table to check, and migrating forward again builds them."""
    from django.core.management import call_command

    try:
        call_command("migrate", "scoring", "0013", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)


def test_the_dashboard_past_thirty_managers(client, lena, alice, django_user_model):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from accounts import roles

    group = Group.objects.get(name=roles.ACCOUNT_MANAGER)
    managers = []
    for n in range(31):
        user = django_user_model.objects.create(username=f"m{n:02}", first_name=f"Zed{n:02}")
        user.groups.add(group)
        managers.append(user)
    for manager in (alice, managers[5]):
        account = AccountFactory(owner=manager, name=f"Acct of {manager.username}")
        _history(account)
    client.force_login(lena)
    url = reverse("dashboard")
    chosen = client.get(url, {"manager": managers[5].pk})
    html = chosen.content.decode()
    assert chosen.status_code == 200
    assert "Acct of m05" in html and "Acct of alice" not in html, "manager filter not applied"
    found = client.get(url, {"manager_find": "zed05"}).content.decode()
    assert f'value="{managers[5].pk}"' in found
    for odd in (
        {"manager": "9" * 30},
        {"manager": "²"},
        {"manager_find": "a\x00b"},
        {"manager_find": "%_"},
        {"manager": str(managers[5].pk), "manager_find": "nobody-here"},
        {"revenue_min": "1e999999"},
        {"revenue_min": "NaN"},
        {"period": "x", "trails": "on", "managers_page": "3"},
    ):
        response = client.get(url, odd)
        assert response.status_code == 200, odd


@pg_only
def test_meetings_on_unrelated_accounts_are_not_serialized(alice, monkeypatch):
    from tests.reliability.support import run_together
    from tests.reliability.test_concurrency import _poster, _signed_in

    accounts = [AccountFactory(owner=alice, name=f"A{n}") for n in range(4)]
    for account in accounts:
        _history(account)
    real = use_cases.describe_change

    def slow(before, after):  # the rest of the request after the rescore: 0.4 s
        time.sleep(0.4)
        return real(before, after)

    monkeypatch.setattr(use_cases, "describe_change", slow)
    started = time.monotonic()
    outcomes = run_together(
        *(
            _poster(_signed_in(alice), a, f"m{n}", "strategy_advice_requested")
            for n, a in enumerate(accounts)
        )
    )
    took = time.monotonic() - started
    assert all(o.result.status_code == 200 for o in outcomes)
    # 4 x 0.4 s one after the other is 1.6 s; with the lines' refresh stubbed out: 1.33 s
    assert took < 1.6, f"4 writes on 4 accounts took {took:.2f} s: serialized"
