"""Security settings and sessions as docs/security.md promises them."""

import datetime
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.contrib.sessions.models import Session
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart
from django.urls import reverse
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"  # the factories' password


def test_the_deployment_checklist_is_clean_with_production_settings():
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _start(command: list[str], **env: str) -> subprocess.CompletedProcess:
    """`command` run in a production environment: no DJANGO_ variable but `env`."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    return subprocess.run(
        command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


GUNICORN = [sys.executable, "-m", "gunicorn", "--check-config", "config.wsgi"]
REFUSED = "DJANGO_SECRET_KEY is not set, and the server will not start"


def test_a_server_without_a_secret_key_refuses_to_start_and_says_why():
    for unset in ({}, {"DJANGO_SECRET_KEY": ""}):
        refused = _start(GUNICORN, **unset)
        assert refused.returncode != 0 and REFUSED in refused.stderr
    asgi = _start([sys.executable, "-c", "import config.asgi"])
    assert asgi.returncode != 0 and REFUSED in asgi.stderr

    assert _start(GUNICORN, DJANGO_SECRET_KEY=secrets.token_urlsafe(50)).returncode == 0
    # Development keeps the built-in key.
    assert _start(GUNICORN, DJANGO_DEBUG="1").returncode == 0


def test_pages_carry_a_policy_that_allows_no_inline_script_and_no_framing(client, alice):
    client.force_login(alice)
    response = client.get(reverse("home"))

    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert (
        "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["default-src"]
    )
    assert policy["frame-ancestors"] == "'none'" and response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    # ...and the pages themselves need none: every script is a file of the app's own.
    html = response.content.decode()
    assert "<script>" not in html and '<script type="text/javascript">' not in html
    assert " onclick=" not in html and " onload=" not in html


# Production is the settings with no DJANGO_ variable but the secret key: what a fresh
# deployment gets without choosing anything.
PRODUCTION = {"DJANGO_SECRET_KEY": "a-key-of-this-tests-own-" + "x" * 40}


def test_plain_http_is_sent_to_https_which_browsers_are_told_to_keep_as_shipped():
    answers = _as_loaded(
        PRODUCTION,
        "[(r.status_code, r.get('Location'), r.get('Strict-Transport-Security')) for r in ("
        "Client().get('/login/', HTTP_HOST='localhost'), "
        "Client().get('/healthz', HTTP_HOST='localhost', secure=True), "
        "Client().get('/healthz', HTTP_HOST='localhost'))]",
    )
    plain, secure, health_check = answers
    assert plain[:2] == [301, "https://localhost/login/"]
    assert secure[0] == 200
    assert secure[2] == "max-age=31536000; includeSubDomains; preload"
    assert health_check[0] == 200  # the container health check speaks plain HTTP


def test_the_https_and_cookie_settings_as_shipped():
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SAMESITE",
        "SESSION_COOKIE_AGE",
    ]
    loaded = _as_loaded(PRODUCTION, "{" + ", ".join(f"'{n}': settings.{n}" for n in names) + "}")

    assert loaded == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 10 * 3600,
    }
    # Trying a production build on plain http://localhost turns the HTTPS parts off together.
    trial = _as_loaded(
        {**PRODUCTION, "DJANGO_SECURE_COOKIES": "0"},
        "[settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, "
        "settings.SECURE_HSTS_SECONDS]",
    )
    assert trial == [False, False, 0]


def test_the_session_cookie_travels_only_over_https_out_of_scripts_reach(alice):
    """The cookies a sign-in sets, with the settings this suite was loaded with (the
    production defaults: nothing here or in conftest.py changes them)."""
    browser = Client()
    browser.get(reverse("login"), secure=True)

    signed_in = browser.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, secure=True
    )

    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert session["max-age"] == 10 * 3600
    csrf = browser.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"


def _sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_repeated_wrong_passwords_pause_sign_in_with_a_clear_message(client, alice):
    for _ in range(4):
        response = _sign_in(client, "alice", "guess")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    locked = _sign_in(client, "alice", "guess")  # the fifth failure
    assert locked.status_code == 429
    assert "Too many failed sign-ins for alice" in locked.content.decode()
    assert "paused for 15 minutes" in locked.content.decode()
    # Even the right password waits now...
    assert _sign_in(client, "alice", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # ...while someone else signs in as usual.
    assert _sign_in(Client(), "bob-who-does-not-exist", "x").status_code == 200


def _as_loaded(env: dict[str, str], expression: str):
    """`expression` evaluated in a process whose settings were loaded with `env` (JSON)."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    code = (
        "import json, django; django.setup(); "
        "from django.conf import settings; from django.test import Client, RequestFactory; "
        "from axes.helpers import get_client_ip_address; "
        f"print(json.dumps({expression}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


# A request that reached the app through two proxies: the client wrote 192.0.2.66 into the
# header itself, the outer proxy appended the client's real address, the inner one the outer's.
FORWARDED = (
    "RequestFactory().post('/login/', REMOTE_ADDR='10.0.0.2', "
    "HTTP_X_FORWARDED_FOR='192.0.2.66, 203.0.113.7, 10.0.0.1')"
)


def test_the_proxy_count_decides_which_forwarded_address_is_the_clients():
    resolve = f"get_client_ip_address({FORWARDED})"
    # No proxy: the header is the client's own invention, the connection is the client.
    assert _as_loaded({}, resolve) == "10.0.0.2"
    assert _as_loaded({"DJANGO_PROXY_COUNT": "1"}, resolve) == "10.0.0.1"
    assert _as_loaded({"DJANGO_PROXY_COUNT": "2"}, resolve) == "203.0.113.7"


def _behind_one_proxy(settings):
    """The throttle's settings as settings.py loads them with DJANGO_PROXY_COUNT=1."""
    names = ["AXES_IPWARE_META_PRECEDENCE_ORDER", "AXES_IPWARE_PROXY_COUNT", "IPWARE_STRICT"]
    loaded = _as_loaded(
        {"DJANGO_PROXY_COUNT": "1"},
        "{" + ", ".join(f"'{n}': getattr(settings, '{n}', None)" for n in names) + "}",
    )
    for name, value in loaded.items():
        if value is not None:
            setattr(settings, name, tuple(value) if isinstance(value, list) else value)


PROXY = "10.0.0.2"  # the address every request comes from, behind the proxy


def test_behind_a_proxy_each_client_is_paused_at_its_own_address(alice, settings):
    _behind_one_proxy(settings)
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(4):
        assert _sign_in(attacker, "alice", "guess").status_code == 200
    assert _sign_in(attacker, "alice", "guess").status_code == 429
    # Writing another address into the header changes nothing: the proxy appends the real one.
    forged = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.66")
    assert _sign_in(forged, "alice", PASSWORD).status_code == 429

    # Alice, through the same proxy from her own address, signs in as usual.
    office = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _sign_in(office, "alice", PASSWORD).status_code == 302


def test_many_usernames_failing_from_one_address_pause_that_address(alice):
    sprayer = Client(REMOTE_ADDR="203.0.113.66")
    for number in range(29):  # the 30th failure pauses the address (README)
        response = _sign_in(sprayer, f"user{number}", "Summer2026!")
        assert response.status_code == 200, number
    paused = _sign_in(sprayer, "user29", "Summer2026!")
    assert paused.status_code == 429
    assert (
        "Too many failed sign-ins, for several users, from this address" in paused.content.decode()
    )
    # Every username waits at that address now, even with the right password...
    assert _sign_in(sprayer, "alice", PASSWORD).status_code == 429
    # ...while the same user elsewhere signs in.
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.7"), "alice", PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, alice):
    for _ in range(4):
        _sign_in(client, "alice", "guess")
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert _sign_in(client, "alice", "guess").status_code == 200


def test_signing_out_ends_the_session_on_the_server(client, alice):
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    cookie = client.cookies["sessionid"].value

    client.post(reverse("logout"))

    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_password_change_signs_out_every_other_session(client, alice):
    other_browser = Client()
    assert _sign_in(other_browser, "alice", PASSWORD).status_code == 302
    assert _sign_in(client, "alice", PASSWORD).status_code == 302

    changed = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a new and long passphrase",
            "new_password2": "a new and long passphrase",
        },
    )

    assert changed.status_code == 302
    assert client.get(reverse("home")).status_code == 200  # this one stays signed in
    response = other_browser.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_session_expires_after_a_working_day(client, alice, settings):
    assert settings.SESSION_COOKIE_AGE == 10 * 3600
    assert _sign_in(client, "alice", PASSWORD).status_code == 302
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    assert session.expire_date <= timezone.now() + datetime.timedelta(hours=10)

    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_pages_with_client_data_are_never_kept_by_the_browser(client, alice, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve the app's static files without collectstatic
    client.force_login(alice)
    page = client.get(reverse("home"))
    directives = [part.strip() for part in page["Cache-Control"].split(",")]
    assert "no-store" in directives and "private" in directives
    assert len(directives) == len(set(directives)), page["Cache-Control"]  # each said once
    # The app's own static files stay cacheable (they are served before any of this).
    static = client.get("/static/css/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


class _Body(FakePayload):
    """A request body that records how much of it the server read."""

    def __init__(self, content: bytes):
        super().__init__(content)
        self.bytes_read = 0

    def read(self, size=-1, /):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def _post_body(client, path, body: bytes, *, length: int | None = None, token: str = ""):
    """POST `body` as multipart/form-data, as a browser would with a CSRF cookie and token;
    `length` claims another Content-Length. Returns the response and the body's reader."""
    stream = _Body(body)
    response = client.generic(
        "POST",
        path,
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(len(body) if length is None else length),
        HTTP_X_CSRFTOKEN=token,
        **{"wsgi.input": stream},
    )
    return response, stream


def _five_megabyte_upload() -> bytes:
    big = io.BytesIO(b"x" * (5 * 1024 * 1024))
    big.name = "accounts.csv"
    return encode_multipart(BOUNDARY, {"accounts": big})


def _with_csrf_cookie() -> tuple[Client, str]:
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("login"))
    return browser, browser.cookies["csrftoken"].value


def test_an_upload_from_outside_is_not_read_before_the_sign_in_check(db):
    browser, token = _with_csrf_cookie()

    response, body = _post_body(
        browser, reverse("portfolio-import"), _five_megabyte_upload(), token=token
    )

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert body.bytes_read == 0


def test_an_upload_from_a_manager_is_not_read_before_the_role_check(alice):
    browser, token = _with_csrf_cookie()
    browser.force_login(alice)

    response, body = _post_body(
        browser, reverse("portfolio-import"), _five_megabyte_upload(), token=token
    )

    assert response.status_code == 403
    assert body.bytes_read == 0


def test_a_body_over_the_limit_is_refused_unread_for_everyone(lena):
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(lena)
    for browser in (anonymous, signed_in):
        for path in (reverse("portfolio-import"), reverse("login"), "/no-such-page/"):
            response, body = _post_body(browser, path, b"x", length=300 * 1024 * 1024)
            assert response.status_code == 413, path
            assert response.content == b"This request is too large: the limit is 42 MB.\n"
            assert body.bytes_read == 0


def test_the_import_still_checks_the_csrf_token_after_the_role(lena):
    browser, token = _with_csrf_cookie()
    browser.force_login(lena)
    files = {"accounts": io.BytesIO(b"x"), "interactions": io.BytesIO(b"y"), "dry_run": "on"}
    for name, handle in list(files.items())[:2]:
        handle.name = f"{name}.csv"
    body = encode_multipart(BOUNDARY, files)

    forged, _ = _post_body(browser, reverse("portfolio-import"), body)  # no token
    assert forged.status_code == 403 and b"Your form was not sent" in forged.content

    genuine, _ = _post_body(browser, reverse("portfolio-import"), body, token=token)
    assert genuine.status_code == 200 and b"Nothing was imported" in genuine.content


def test_more_files_than_the_import_takes_are_refused(client, lena):
    client.force_login(lena)
    files = {}
    for name in ("accounts", "interactions", "assessments", "contacts", "extra"):
        files[name] = io.BytesIO(b"x")
        files[name].name = f"{name}.csv"

    assert client.post(reverse("portfolio-import"), files).status_code == 400


def test_a_form_refused_by_the_csrf_check_says_what_to_do_and_nothing_about_debugging(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    refused = browser.post(reverse("password_change"), {"old_password": PASSWORD})

    assert refused.status_code == 403
    page = refused.content.decode()
    assert "Your form was not sent" in page and "Reload the page" in page
    assert "DEBUG" not in page and "CSRF verification failed" not in page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_server_does_not_name_its_software():
    """gunicorn as the Docker image starts it (gunicorn.conf.py is read from the directory)."""
    port = _free_port()
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not answer")
        assert answer.status == 200 and answer.read() == b"ok"
        assert "Server" not in answer.headers, answer.headers["Server"]
    finally:
        server.terminate()
        server.wait(timeout=10)
