"""A real streaming read replica of the test database, for the router's tests.

A second PostgreSQL cluster on a free loopback port, copied from the one the suite runs on
with pg_basebackup and kept up to date by streaming replication. It needs the primary to
accept replication connections from 127.0.0.1 (wal_level replica or logical, max_wal_senders
above 0, a `host replication ...` line in pg_hba.conf); without them the tests fail and say
what to change (.ci/run sets up the pg_hba.conf line on the machine's own cluster).
"""

from __future__ import annotations

import contextlib
import copy
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

from tests.scaling.pgbouncer import Bouncer, start_bouncer

REPLICA = "replica"
START_TIMEOUT_SECONDS = 30
# The settings a hot standby must have at least as high as its primary's.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


@dataclass(frozen=True)
class ReplicaCluster:
    port: int
    data_dir: Path
    dbname: str

    def query(self, sql: str) -> object:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=self.dbname, autocommit=True
        ) as replica:
            row = replica.execute(sql).fetchone()
            return row[0] if row else None

    def pause_replay(self) -> None:
        self.query("SELECT pg_wal_replay_pause()")
        for _ in range(100):
            if self.query("SELECT pg_get_wal_replay_pause_state()") == "paused":
                return
            time.sleep(0.05)
        raise AssertionError("The replica did not pause its replay")

    def resume_replay(self) -> None:
        self.query("SELECT pg_wal_replay_resume()")

    def catch_up(self) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            target = cursor.fetchone()[0]
        for _ in range(200):
            if self.query(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
                return
            time.sleep(0.05)
        raise AssertionError(f"The replica did not reach {target} within 10 s")


def _postgres_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        pytest.fail(f"{name} not found (PostgreSQL's server binaries, Debian's postgresql)")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_cluster_owner(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; as root, run it as the postgres user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _primary_settings() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
            [["wal_level", "max_wal_senders", *MATCHED_SETTINGS]],
        )
        return dict(cursor.fetchall())


def _require_replication(primary: dict[str, str]) -> None:
    if primary["wal_level"] not in {"replica", "logical"} or int(primary["max_wal_senders"]) < 1:
        pytest.fail(
            "The PostgreSQL server does not stream to replicas: set wal_level = replica and "
            "max_wal_senders = 10 (PostgreSQL's defaults) in postgresql.conf and restart it."
        )


def _base_backup(data_dir: Path, settings: dict) -> None:
    command = [
        _postgres_bin("pg_basebackup"),
        *("-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)),
        *("-U", settings["USER"] or "postgres", "-D", str(data_dir)),
        *("-R", "-X", "stream", "--checkpoint=fast", "--no-sync"),
    ]
    environment = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    result = subprocess.run(
        _as_cluster_owner(command),
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            "pg_basebackup could not copy the PostgreSQL server for a read replica:\n"
            f"{result.stderr.strip()}\n"
            "The server must accept replication connections from 127.0.0.1: add "
            "`host replication all 127.0.0.1/32 trust` to its pg_hba.conf and reload it "
            "(SELECT pg_reload_conf()); .ci/run does this for the machine's own cluster."
        )


def _configure(data_dir: Path, port: int, primary: dict[str, str]) -> None:
    # Debian keeps postgresql.conf and pg_hba.conf in /etc, outside the data directory, so
    # the copy has none: the replica gets its own, local and loopback only.
    matched = "\n".join(f"{name} = {primary[name]}" for name in MATCHED_SETTINGS)
    (data_dir / "postgresql.conf").write_text(
        f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data_dir}'\n"
        f"hot_standby = on\nfsync = off\nshared_buffers = 16MB\n{matched}\n"
    )
    (data_dir / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (data_dir / "pg_ident.conf").write_text("")
    if os.geteuid() == 0:
        shutil.chown(data_dir / "postgresql.conf", "postgres", "postgres")
        shutil.chown(data_dir / "pg_hba.conf", "postgres", "postgres")
        shutil.chown(data_dir / "pg_ident.conf", "postgres", "postgres")


def _wait_in_recovery(cluster: ReplicaCluster, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(psycopg.Error):
            if cluster.query("SELECT pg_is_in_recovery()"):
                return
        time.sleep(0.1)
    pytest.fail(f"The read replica did not start in recovery:\n{log.read_text()[-2000:]}")


def _replica_alias(port: int) -> dict:
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict.update(HOST="127.0.0.1", PORT=str(port), ATOMIC_REQUESTS=False)
    # As settings.py sets it: the test database's own name, never created or flushed here.
    settings_dict["TEST"] = {**settings_dict["TEST"], "MIRROR": "default"}
    return settings_dict


@pytest.fixture(scope="session")
def replica_cluster(django_db_setup, django_db_blocker) -> Iterator[ReplicaCluster]:
    """The running replica (session-wide: starting one takes a few seconds)."""
    if connection.vendor != "postgresql":
        pytest.skip("a streaming read replica is a PostgreSQL server's own; SQLite has none")
    with django_db_blocker.unblock():
        primary = _primary_settings()
        _require_replication(primary)
        # The copy is taken after pytest-django created the test database, so it holds it.
        dbname = connection.settings_dict["NAME"]
    top = Path(tempfile.mkdtemp(prefix="replica-"))
    data_dir, log = top / "data", top / "replica.log"
    if os.geteuid() == 0:
        shutil.chown(top, "postgres", "postgres")
    pg_ctl = _postgres_bin("pg_ctl")
    port = _free_port()
    try:
        _base_backup(data_dir, connection.settings_dict)
        _configure(data_dir, port, primary)
        subprocess.run(
            _as_cluster_owner([pg_ctl, "-D", str(data_dir), "-l", str(log), "start"]),
            capture_output=True,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )
        cluster = ReplicaCluster(port=port, data_dir=data_dir, dbname=dbname)
        _wait_in_recovery(cluster, log)
        # The alias exists for the whole session, so that a test may name it in its
        # databases; the router only uses it while `replica` puts it in the settings.
        connections.settings[REPLICA] = _replica_alias(port)
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            connections[REPLICA].close()
        with contextlib.suppress(AttributeError):
            del connections[REPLICA]
        connections.settings.pop(REPLICA, None)
        subprocess.run(
            _as_cluster_owner([pg_ctl, "-D", str(data_dir), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def replica(replica_cluster: ReplicaCluster, settings) -> Iterator[ReplicaCluster]:
    """The replica in use for one test, as DATABASE_REPLICA_URL puts it to use
    (settings.READ_REPLICA, which the router reads); no other test reads from it. Replay runs
    again at the end, whatever the test paused. Tests list "replica" in their databases."""
    settings.READ_REPLICA = True
    try:
        replica_cluster.catch_up()
        yield replica_cluster
    finally:
        connections[REPLICA].close()
        replica_cluster.resume_replay()


@pytest.fixture(scope="session")
def pgbouncer(django_db_setup, django_db_blocker) -> Iterator[Bouncer]:
    """A running PgBouncer in transaction mode before the test database (tests/scaling/
    pgbouncer.py); stopped before the test database is dropped."""
    with django_db_blocker.unblock():
        yield from start_bouncer(_free_port())
