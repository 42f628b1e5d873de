"""Shared fixtures: the people of the product, built once per test.

Alice and Bob are account managers with a client each; Lena is their sales lead.
"""

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from tests.factories import AccountFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_and_plain(settings):
    # Hashing passwords slowly is the point in production and a waste in tests; the manifest
    # static storage needs collectstatic, which unit tests do not run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _user_with_role(username: str, role: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def alice(db):
    return _user_with_role("alice", roles.ACCOUNT_MANAGER)


@pytest.fixture
def bob(db):
    return _user_with_role("bob", roles.ACCOUNT_MANAGER)


@pytest.fixture
def lena(db):
    return _user_with_role("lena", roles.SALES_LEAD)


@pytest.fixture
def alices_account(alice):
    return AccountFactory(name="Northwind Freight", owner=alice)


@pytest.fixture
def bobs_account(bob):
    return AccountFactory(name="Bluepeak Foods", owner=bob)
