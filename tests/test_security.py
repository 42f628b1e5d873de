"""Security settings and sessions as docs/security.md promises them."""

import datetime
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.contrib.sessions.models import Session
from django.test import Client
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


def test_plain_http_is_sent_to_https_which_browsers_are_told_to_keep(client, settings, alice):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("login"))
    assert response.status_code == 301 and response["Location"].startswith("https://")

    secure = client.get(reverse("login"), secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert client.get(reverse("healthz")).status_code == 200  # the container health check


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
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    # The app's own static files stay cacheable (they are served before any of this).
    static = client.get("/static/css/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
