"""People and things the form tests share (alice, bob, lena, sam and their accounts come from
tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.factories import ContactFactory


@pytest.fixture
def contact(alices_account):
    return ContactFactory(account=alices_account, name="Dana Reyes")


@pytest.fixture
def bobs_contact(bobs_account):
    return ContactFactory(account=bobs_account, name="Omar Haddad")
