"""The settings choose the database from the environment."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def settings_loaded(
    env_update: dict[str, str],
    script: str,
    *,
    dropping: tuple[str, ...] = ("DATABASE_",),
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """config.settings loaded in a new process, in this environment less the variables whose
    names start with one of `dropping`, plus `env_update`; then `script` run with `settings`
    at hand (it prints what the test reads)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropping)}
    env.update(env_update)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    code = f"import django; django.setup(); from django.conf import settings; {script}"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=check
    )


def _engine_with(env_update: dict[str, str]) -> str:
    return settings_loaded(
        env_update,
        "print(settings.DATABASES['default']['ENGINE'])",
        dropping=("DATABASE_URL",),
        check=True,
    ).stdout.strip()


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
    return settings_loaded(
        env_update,
        "replica = settings.DATABASES.get('replica'); "
        "print(sorted(settings.DATABASES), settings.READ_REPLICA, "
        "replica and (replica['HOST'], replica['NAME'], replica['TEST']['MIRROR']))",
        check=True,
    ).stdout.strip()


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


def _pooler_settings_with(env_update: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return settings_loaded(
        env_update,
        "print([(alias, db.get('DISABLE_SERVER_SIDE_CURSORS'), "
        "db.get('OPTIONS', {}).get('prepare_threshold', 'unset')) "
        "for alias, db in sorted(settings.DATABASES.items())])",
    )


def test_without_a_pooler_server_side_cursors_stay_on():
    result = _pooler_settings_with({"DATABASE_URL": "postgres://someone@db.internal/rel"})
    assert result.stdout.strip() == "[('default', False, 'unset')]"


def test_behind_pgbouncer_both_databases_keep_nothing_across_transactions():
    result = _pooler_settings_with(
        {
            "DATABASE_URL": "postgres://someone@pgbouncer:6432/rel",
            "DATABASE_REPLICA_URL": "postgres://reader@pgbouncer-replica:6432/rel",
            "DATABASE_POOLER": "PgBouncer",
        }
    )
    assert result.stdout.strip() == "[('default', True, None), ('replica', True, None)]"


def test_an_unknown_pooler_is_refused_with_what_to_set():
    result = _pooler_settings_with(
        {"DATABASE_URL": "postgres://someone@db.internal/rel", "DATABASE_POOLER": "pgpool"}
    )
    assert result.returncode != 0
    assert "set it to pgbouncer" in result.stderr


def test_a_pooler_without_postgresql_is_refused():
    result = _pooler_settings_with({"DATABASE_POOLER": "pgbouncer"})
    assert result.returncode != 0
    assert "needs a postgres:// URL" in result.stderr
