"""The settings choose the database from the environment."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _engine_with(env_update: dict[str, str]) -> str:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(env_update)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])"
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_sqlite_is_the_embedded_default():
    assert _engine_with({}) == "django.db.backends.sqlite3"


def test_an_empty_database_url_means_the_default():
    assert _engine_with({"DATABASE_URL": ""}) == "django.db.backends.sqlite3"


def test_database_url_switches_to_postgresql():
    url = "postgres://someone@db.internal:5432/relationships"
    assert _engine_with({"DATABASE_URL": url}) == "django.db.backends.postgresql"


def test_the_suite_runs_on_the_database_the_environment_names():
    # CI runs the suite twice; this keeps the PostgreSQL run from silently using SQLite.
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


def _replica_settings_with(env_update: dict[str, str]) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_")}
    env.update(env_update)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "replica = settings.DATABASES.get('replica'); "
        "print(sorted(settings.DATABASES), settings.READ_REPLICA, "
        "replica and (replica['HOST'], replica['NAME'], replica['TEST']['MIRROR']))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_without_a_replica_url_there_is_one_database():
    assert _replica_settings_with({}) == "['default'] False None"
    assert _replica_settings_with({"DATABASE_REPLICA_URL": ""}) == "['default'] False None"


def test_a_replica_url_adds_the_replica_which_tests_read_as_the_primary():
    url = "postgres://reader@replica.internal:5432/relationships"
    assert (
        _replica_settings_with(
            {
                "DATABASE_URL": "postgres://someone@db.internal:5432/relationships",
                "DATABASE_REPLICA_URL": url,
            }
        )
        == "['default', 'replica'] True ('replica.internal', 'relationships', 'default')"
    )
