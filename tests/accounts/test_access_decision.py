"""The one access decision (accounts/access.py), asked directly with each persona."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.access import (
    account_for_user,
    accounts_editable_by,
    accounts_visible_to,
    may_change_entry,
    may_manage_accounts,
    may_write,
)
from tests.factories import UserFactory


def test_a_manager_reads_and_writes_their_own_account(alice, alices_account):
    assert account_for_user(alice, alices_account.pk, write=True) == alices_account
    assert may_write(alice, alices_account)


def test_another_managers_account_does_not_exist_for_them(alice, bobs_account):
    with pytest.raises(Http404):
        account_for_user(alice, bobs_account.pk)
    assert bobs_account not in accounts_visible_to(alice)


def test_sharing_gives_read_and_write_but_not_management(alice, bob, bobs_account):
    bobs_account.shared_with.add(alice)
    assert account_for_user(alice, bobs_account.pk, write=True) == bobs_account
    with pytest.raises(PermissionDenied):
        account_for_user(alice, bobs_account.pk, manage=True)


def test_a_lead_reads_everything_writes_nothing_not_theirs_and_manages(
    lena, alices_account, bobs_account
):
    assert set(accounts_visible_to(lena)) == {alices_account, bobs_account}
    assert not accounts_editable_by(lena).exists()
    assert not may_write(lena, alices_account)
    with pytest.raises(PermissionDenied, match="account's manager"):
        account_for_user(lena, alices_account.pk, write=True)
    assert account_for_user(lena, alices_account.pk, manage=True) == alices_account
    assert may_manage_accounts(lena)


def test_a_scoring_admin_reads_but_neither_writes_nor_manages(sam, alices_account):
    assert account_for_user(sam, alices_account.pk) == alices_account
    with pytest.raises(PermissionDenied):
        account_for_user(sam, alices_account.pk, write=True)
    with pytest.raises(PermissionDenied):
        account_for_user(sam, alices_account.pk, manage=True)


def test_nobody_signed_in_sees_nothing(alices_account):
    anonymous = AnonymousUser()
    assert not accounts_visible_to(anonymous).exists()
    assert not may_write(anonymous, alices_account)
    with pytest.raises(Http404):
        account_for_user(anonymous, alices_account.pk)


def test_a_superuser_passes_every_check(migrated_rows, alices_account):
    root = UserFactory(username="root", is_superuser=True)
    assert account_for_user(root, alices_account.pk, write=True, manage=True) == alices_account


def test_an_entry_is_changed_by_its_author_or_for_imported_history_by_the_owner(
    alice, bob, alices_account
):
    assert may_change_entry(alice, alices_account, author_id=alice.pk)
    assert not may_change_entry(alice, alices_account, author_id=bob.pk)
    assert may_change_entry(alice, alices_account, author_id=None)
    alices_account.shared_with.add(bob)
    assert not may_change_entry(bob, alices_account, author_id=None)
