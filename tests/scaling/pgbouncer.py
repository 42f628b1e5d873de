"""A real PgBouncer in transaction mode in front of the test database (Debian's pgbouncer).

Started once per session on a free loopback port. Two pools lead to the test database: its
own name, with one server connection (every client transaction runs on that connection in
turn, so whatever one leaves behind the next one meets), and TWO_SERVERS, with two (a
transaction may land on either, as in production). Without the program the tests are
skipped on a developer machine, and fail where REQUIRE_PGBOUNCER=1 (.ci/run sets it) or CI.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

PGBOUNCER = os.environ.get("PGBOUNCER_PATH") or shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
TWO_SERVERS = "two_servers"  # PgBouncer's name for the test database with a pool of two
START_TIMEOUT_SECONDS = 15


def _pgbouncer_required() -> bool:
    """CI (REQUIRE_PGBOUNCER=1, or the CI variable most CI services set) fails without it."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}
        for name in ("REQUIRE_PGBOUNCER", "CI")
    )


@dataclass(frozen=True)
class Bouncer:
    port: int
    dbname: str  # the test database, whose own name is its one-connection pool

    def connect(self, dbname: str | None = None) -> psycopg.Connection:
        """A client of PgBouncer's own, besides the app (autocommit)."""
        user = connection.settings_dict["USER"] or "postgres"
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=user,
            password=connection.settings_dict["PASSWORD"] or None,
            dbname=dbname or self.dbname,
            autocommit=True,
        )

    @contextlib.contextmanager
    def as_database(self, *, dbname: str | None = None, pooler_settings: bool = True):
        """The app's database connection goes through PgBouncer for the block, with the
        settings DATABASE_POOLER=pgbouncer gives it (config/settings.py), or without them."""
        default = connections["default"]
        saved = copy.deepcopy(default.settings_dict)
        default.close()
        default.settings_dict.update(HOST="127.0.0.1", PORT=str(self.port))
        default.settings_dict["NAME"] = dbname or self.dbname
        if pooler_settings:
            default.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
            default.settings_dict["OPTIONS"] = {**saved["OPTIONS"], "prepare_threshold": None}
        try:
            yield
        finally:
            default.close()
            default.settings_dict.clear()
            default.settings_dict.update(saved)


def _as_unprivileged(command: list[str]) -> list[str]:
    # PgBouncer refuses to run as root; as root, run it as the postgres user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _config(top: Path, port: int, dbname: str) -> Path:
    settings = connection.settings_dict
    user, password = settings["USER"] or "postgres", settings["PASSWORD"] or ""
    server = f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432}"
    (top / "userlist.txt").write_text(f'"{user}" "{password}"\n')
    ini = top / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"{dbname} = {server} dbname={dbname} pool_size=1\n"
        f"{TWO_SERVERS} = {server} dbname={dbname} pool_size=2\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "pool_mode = transaction\n"
        f"auth_type = trust\nauth_file = {top / 'userlist.txt'}\nadmin_users = {user}\n"
        f"logfile = {top / 'pgbouncer.log'}\npidfile = {top / 'pgbouncer.pid'}\n"
        "max_client_conn = 50\n"
    )
    if os.geteuid() == 0:
        for path in (top, ini, top / "userlist.txt"):
            shutil.chown(path, "postgres", "postgres")
    return ini


def _wait_ready(bouncer: Bouncer, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(psycopg.Error), bouncer.connect() as client:
            client.execute("SELECT 1")
            return
        time.sleep(0.1)
    text = log.read_text()[-2000:] if log.exists() else "(no log)"
    pytest.fail(f"PgBouncer did not accept connections:\n{text}")


def _stop(pidfile: Path) -> None:
    with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGTERM)  # PgBouncer's own "shut down now"
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)


def start_bouncer(port: int) -> Iterator[Bouncer]:
    """Run PgBouncer for as long as the generator is open (the session fixture's body)."""
    if connection.vendor != "postgresql":
        pytest.skip("PgBouncer pools PostgreSQL connections; this run is on SQLite")
    if not os.access(PGBOUNCER, os.X_OK):
        message = f"PgBouncer not found at {PGBOUNCER}: apt-get install pgbouncer"
        if _pgbouncer_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    dbname = connection.settings_dict["NAME"]
    top = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    ini = _config(top, port, dbname)
    try:
        started = subprocess.run(
            _as_unprivileged([PGBOUNCER, "-d", "-q", str(ini)]),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )
        if started.returncode != 0:
            pytest.fail(f"PgBouncer did not start:\n{started.stderr.strip()}")
        bouncer = Bouncer(port=port, dbname=dbname)
        _wait_ready(bouncer, top / "pgbouncer.log")
        yield bouncer
    finally:
        _stop(top / "pgbouncer.pid")
        shutil.rmtree(top, ignore_errors=True)
