"""Shared fixtures: the people of the product, built once per test.

Alice and Bob are account managers with a client each; Lena is their sales lead; Sam is the
scoring admin.
"""

import importlib
import signal
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import caches

from accounts import roles
from tests.factories import AccountFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_caches():
    """The caches outlive a test: each starts without an earlier test's rate limit counts,
    read-your-writes marks or kept pages (pages/kept.py, which describe another database)."""
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _fast_and_plain(settings):
    # Hashing passwords slowly is the point in production and a waste in tests; the manifest
    # static storage needs collectstatic, which unit tests do not run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client speaks plain HTTP; tests/test_security.py checks the redirect to HTTPS.
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


# The rows data migrations create, and the migration function that creates each.
MIGRATED_ROWS = [
    ("auth.Group", "accounts.migrations.0002_role_groups", "create_roles"),
    (
        "auth.Group_permissions",
        "scoring.migrations.0009_scoring_admin_permissions",
        "grant_scoring_admin_permissions",
    ),
    (
        "relationships.SignalType",
        "relationships.migrations.0002_default_signal_catalog",
        "load_catalog",
    ),
    ("scoring.ScoringProfile", "scoring.migrations.0002_default_profile", "create_default_profile"),
]


def ensure_migrated_rows() -> None:
    """Put back the rows data migrations create, if a flush took them.

    A transactional test (the browser tests, a few others) ends with a flush that empties
    every table, and with it the role groups and their permissions, the signal catalog and the
    default scoring profile; the next test gets them back from the migrations' own functions.
    """
    for model, module, function in MIGRATED_ROWS:
        if not apps.get_model(model).objects.exists():
            getattr(importlib.import_module(module), function)(apps, None)


WORKER_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


def work_the_queue() -> None:
    """Run every queued background task with the real worker (`db_worker --batch`).

    The worker closes connections it thinks are stale between tasks; inside a test's
    transaction that would close the test's own connection on PostgreSQL, so that one piece
    of housekeeping is switched off here.
    """
    from django.core.management import call_command

    # The worker installs its own signal handlers (a real one owns its process); put the
    # test process's back afterwards.
    handlers = {number: signal.getsignal(number) for number in WORKER_SIGNALS}
    try:
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            call_command("db_worker", "--batch", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


@pytest.fixture
def migrated_rows(db) -> None:
    ensure_migrated_rows()


def _user_with_role(username: str, role: str):
    user = UserFactory.create(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def alice(migrated_rows):
    return _user_with_role("alice", roles.ACCOUNT_MANAGER)


@pytest.fixture
def bob(migrated_rows):
    return _user_with_role("bob", roles.ACCOUNT_MANAGER)


@pytest.fixture
def lena(migrated_rows):
    return _user_with_role("lena", roles.SALES_LEAD)


@pytest.fixture
def sam(migrated_rows):
    return _user_with_role("sam", roles.SCORING_ADMIN)


@pytest.fixture
def alices_account(alice):
    return AccountFactory(name="Northwind Freight", owner=alice)


@pytest.fixture
def bobs_account(bob):
    return AccountFactory(name="Bluepeak Foods", owner=bob)
