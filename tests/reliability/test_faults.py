"""The database goes away: the user is told to try again, nothing is half-written, and the app
recovers by itself once the database is back.

The machine's PostgreSQL server is shared, so it is never stopped here. Instead the app reaches
it through a small TCP proxy of the test's own (`DatabaseLink`), which the test cuts: every
open connection dropped, new ones refused, exactly what the app sees when the server restarts
or the network fails. Requests go through Django's own WSGI handler, as a server worker sends
them, so Django's per-request connection housekeeping (the health checks of
CONN_HEALTH_CHECKS) runs as in production; the test client skips it.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import logging
import socket
import threading
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from config.middleware import unavailable_response
from pages.views import interactions as views
from relationships.models import AuditEntry, Interaction, SignalType, TrustSignal
from scoring import use_cases
from scoring.services import account_rescore
from tests.factories import AccountFactory, InteractionFactory, TrustSignalFactory
from tests.reliability.support import ON_POSTGRESQL, snapshot_rows

needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason=(
        "cuts the network link between the app and its database server; SQLite is a library "
        "inside the app's own process, with no link to cut (the 503 page and the rollback "
        "are covered on SQLite by the tests that raise the error directly)"
    ),
)

NOTES = "Budget review with the finance director"


# The link to the database ------------------------------------------------------------------


class DatabaseLink:
    """A TCP proxy to the database server. `cut()` drops every connection through it and
    refuses new ones, as a restarting server or a broken network does; `restore()` lets
    connections through again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._up = True
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                try:
                    if not self._up:
                        raise ConnectionRefusedError
                    server = socket.create_connection(self._target, timeout=5)
                except OSError:
                    client.close()
                    continue
                server.settimeout(None)
                self._open |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(source, sink)

    def _drop(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            with self._lock:
                self._open.discard(sock)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked reading it
            sock.close()

    def cut(self) -> None:
        with self._lock:
            self._up = False
            sockets = list(self._open)
        self._drop(*sockets)

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def close(self) -> None:
        self.cut()
        self._drop(self._listener)


@pytest.fixture
def db_link(transactional_db):
    """The test's database connection, rerouted through a DatabaseLink for the test."""
    params = connection.settings_dict  # the very dict every new connection is made from
    host = params["HOST"] or "localhost"
    if host.startswith("/"):
        pytest.skip("PostgreSQL is reached over a Unix socket here; the test cuts a TCP link")
    link = DatabaseLink((host, int(params["PORT"] or 5432)))
    saved = {key: params[key] for key in ("HOST", "PORT", "CONN_MAX_AGE")}
    connection.close()
    # Through the link, and kept open between requests as in production, so that a dead
    # connection is really reused (and must be caught by the health check).
    params.update(HOST="127.0.0.1", PORT=str(link.port), CONN_MAX_AGE=60)
    try:
        yield link
    finally:
        link.restore()
        connection.close()
        params.update(saved)
        link.close()


# A browser on Django's own WSGI handler --------------------------------------------------------


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str


class Browser:
    """A signed-in user's requests, made through Django's WSGI handler as a server worker
    makes them: each fires request_started and request_finished, where Django health-checks
    and recycles its database connections."""

    def __init__(self, user) -> None:
        client = Client()
        client.force_login(user)
        self._csrf = get_random_string(32)  # sent as cookie and form field, as a form does
        self._cookies = {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: self._csrf,
        }
        self._handler = WSGIHandler()

    def get(self, path: str) -> Page:
        return self._request("GET", path, b"")

    def post(self, path: str, data: dict) -> Page:
        form = {**data, "csrfmiddlewaretoken": self._csrf}
        return self._request("POST", path, urlencode(form, doseq=True).encode())

    def _request(self, method: str, path: str, body: bytes) -> Page:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SCRIPT_NAME": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_COOKIE": "; ".join(f"{name}={value}" for name, value in self._cookies.items()),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        answer: dict = {}

        def start_response(status, headers, exc_info=None):
            answer.update(status=int(status.split()[0]), headers=dict(headers))
            self._keep_cookies(value for name, value in headers if name.lower() == "set-cookie")

        result = self._handler(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            result.close()  # fires request_finished, as the server does
        return Page(answer["status"], answer["headers"], content.decode())

    def _keep_cookies(self, set_cookies) -> None:
        """As a browser does: the messages shown on the next page travel in a cookie."""
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if str(morsel["max-age"]) == "0":
                    self._cookies.pop(name, None)
                else:
                    self._cookies[name] = morsel.coded_value


# What the tests look at --------------------------------------------------------------------


def _meeting() -> dict:
    return {
        "occurred_on": timezone.localdate().isoformat(),
        "kind": "meeting",
        "notes": NOTES,
        "signals": [SignalType.objects.get(slug="invited_to_planning").pk],
    }


def _account_with_history(owner):
    account = AccountFactory(name="Northwind Freight", owner=owner)
    today = timezone.localdate()
    for weeks_ago in (8, 4):
        day = today - datetime.timedelta(weeks=weeks_ago)
        interaction = InteractionFactory(account=account, occurred_on=day)
        TrustSignalFactory(account=account, interaction=interaction, observed_on=day)
    account_rescore(account_id=account.pk)
    return account


def _everything_about(account) -> tuple:
    """All that a logged meeting writes: the interaction, its signals, the audit entry, and
    the rescored weekly history."""
    return (
        sorted(Interaction.objects.filter(account=account).values_list("pk", "notes")),
        sorted(TrustSignal.objects.filter(account=account).values_list("pk", flat=True)),
        sorted(AuditEntry.objects.filter(account=account).values_list("pk", flat=True)),
        snapshot_rows([account.pk]),
    )


def _assert_try_again_page(status: int, headers, text: str) -> None:
    assert status == 503
    assert int(headers["Retry-After"]) > 0
    assert "briefly unavailable" in text
    assert "try again" in text
    assert "Traceback" not in text and "Server Error" not in text


# On any database ------------------------------------------------------------------------------


def test_the_try_again_page_is_drawn_without_the_database():
    # No database fixture: any query would fail this test, as it would fail in an outage.
    response = unavailable_response()
    _assert_try_again_page(response.status_code, response, response.content.decode())
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lost", ["before the rescore", "at the commit"])
def test_a_database_error_in_the_middle_of_a_save_answers_try_again_and_keeps_nothing(
    alice, monkeypatch, caplog, lost
):
    account = _account_with_history(alice)
    client = Client()
    client.force_login(alice)
    page_url = reverse("account-detail", args=[account.pk])
    log_url = reverse("interaction-new", args=[account.pk])
    before = _everything_about(account)

    def connection_lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    if lost == "before the rescore":  # inside the service, after the insert
        monkeypatch.setattr(use_cases, "account_rescore_now", connection_lost)
    else:  # the view is done; the request's transaction fails to commit
        monkeypatch.setattr(connections["default"], "commit", connection_lost)
    with caplog.at_level(logging.ERROR, logger="config.middleware"):
        response = client.post(log_url, _meeting())
    monkeypatch.undo()

    _assert_try_again_page(response.status_code, response, response.content.decode())
    assert "Database unavailable during POST" in caplog.text  # the operators hear of it
    assert _everything_about(account) == before  # the request's transaction was rolled back
    page = client.get(page_url).content.decode()
    assert NOTES not in page and "Logged —" not in page  # no note claims it was saved
    response = client.post(log_url, _meeting())  # trying again works
    assert response.status_code == 302
    assert "Logged —" in client.get(page_url).content.decode()
    assert Interaction.objects.filter(account=account, notes=NOTES).count() == 1


# PostgreSQL behind a link that the test cuts -------------------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lost", ["before the rescore", "before the commit"])
def test_losing_the_database_in_the_middle_of_saving_a_meeting(db_link, alice, monkeypatch, lost):
    account = _account_with_history(alice)
    browser = Browser(alice)
    page_url = reverse("account-detail", args=[account.pk])
    log_url = reverse("interaction-new", args=[account.pk])
    assert browser.get(page_url).status == 200
    before = _everything_about(account)

    # The database goes away half-way through the save: inside the service, once the
    # interaction, its signal and its audit entry are sent and before the account is
    # rescored; or once the view has done everything and only the request's transaction
    # is left to commit (the error then comes out of the atomic block around the view).
    where = (use_cases, "account_rescore_now") if lost == "before the rescore" else (views, "_done")
    real = getattr(*where)
    written_before_the_cut = []

    def cut_then_go_on(*args, **kwargs):
        written_before_the_cut.append(Interaction.objects.filter(notes=NOTES).exists())
        db_link.cut()
        return real(*args, **kwargs)

    monkeypatch.setattr(*where, cut_then_go_on)
    page = browser.post(log_url, _meeting())
    monkeypatch.setattr(*where, real)

    assert written_before_the_cut == [True]  # it failed half-way through the save
    _assert_try_again_page(page.status, page.headers, page.text)

    db_link.restore()
    # The app recovers by itself: the very next request (the first database use since) works,
    # and shows nothing of the failed save, not even its "Logged" note.
    page = browser.get(page_url)
    assert page.status == 200
    assert NOTES not in page.text and "Logged —" not in page.text
    assert _everything_about(account) == before  # nothing of the failed save was kept
    # Sending the meeting again logs it, once, and its scores are whole.
    page = browser.post(log_url, _meeting())
    assert page.status == 302 and page.headers["Location"] == page_url
    page = browser.get(page_url)
    assert NOTES in page.text and "Logged —" in page.text
    assert Interaction.objects.filter(account=account, notes=NOTES).count() == 1
    stored = snapshot_rows([account.pk])
    account_rescore(account_id=account.pk)
    assert snapshot_rows([account.pk]) == stored


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_while_the_database_is_down_pages_say_try_again_and_work_once_it_is_back(db_link, alice):
    account = _account_with_history(alice)
    browser = Browser(alice)
    page_url = reverse("account-detail", args=[account.pk])
    log_url = reverse("interaction-new", args=[account.pk])
    meeting = _meeting()
    assert browser.get(page_url).status == 200

    db_link.cut()  # and it stays down
    for page in (browser.get(page_url), browser.post(log_url, meeting)):
        _assert_try_again_page(page.status, page.headers, page.text)

    db_link.restore()
    page = browser.get(page_url)
    assert page.status == 200 and NOTES not in page.text
    assert not Interaction.objects.filter(notes=NOTES).exists()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_database_restart_between_requests_goes_unnoticed(db_link, alice):
    account = _account_with_history(alice)
    browser = Browser(alice)
    page_url = reverse("account-detail", args=[account.pk])
    assert browser.get(page_url).status == 200
    assert connection.connection is not None, "the connection should be kept for reuse"
    kept = connection.connection.info.backend_pid

    db_link.cut()
    db_link.restore()  # the server is back, but the connection the app kept is dead

    page = browser.post(reverse("interaction-new", args=[account.pk]), _meeting())
    assert page.status == 302  # no error at all: the health check replaced the connection
    assert connection.connection.info.backend_pid != kept
    assert Interaction.objects.filter(account=account, notes=NOTES).count() == 1
