"""The API tokens page: make a token (shown once), see when each was last used, revoke it."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import ApiToken
from accounts.services import api_token_create
from tests.api.conftest import Api

URL = "/settings/api-tokens/"


def _shown_token(html: str) -> str:
    found = re.search(r'id="new-token" type="text" readonly value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_the_header_links_to_the_page(client, alice):
    client.force_login(alice)
    assert f'href="{URL}"' in client.get(reverse("reminder-settings")).content.decode()
    assert reverse("api-tokens") == URL


def test_a_person_makes_a_token_uses_it_sees_its_last_use_and_revokes_it(client, alice, book):
    client.force_login(alice)
    response = client.post(URL, {"action": "create", "name": "BI nightly", "read_only": "on"})
    assert response.status_code == 200
    token = _shown_token(response.content.decode())
    row = ApiToken.objects.get(user=alice)
    assert (row.name, row.read_only, row.last_used_at) == ("BI nightly", True, None)

    page = client.get(URL).content.decode()
    assert token not in page  # shown once
    assert row.prefix in page and "never" in page and "read only" in page

    assert Api(token).get("/accounts").status_code == 200
    row.refresh_from_db()
    page = client.get(URL).content.decode()
    assert "never" not in page
    assert date_format(timezone.localtime(row.last_used_at), "j M Y H:i") in page

    response = client.post(URL, {"action": "revoke", "token": row.pk}, follow=True)
    assert "Revoked “BI nightly”: it opens nothing any more." in response.content.decode()
    assert "revoked" in response.content.decode()
    assert Api(token).get("/accounts").status_code == 401


def test_a_token_needs_a_name_said_next_to_the_field(client, alice):
    client.force_login(alice)
    response = client.post(URL, {"action": "create", "name": "   "})
    html = response.content.decode()
    assert 'id="id_name_error"' in html
    assert "This field is required." in html or "Say what the token is for." in html
    assert not ApiToken.objects.exists()


def test_nobody_revokes_anothers_token(client, alice, bob):
    row, token = api_token_create(user=bob, name="Bob's ERP")
    client.force_login(alice)
    assert client.post(URL, {"action": "revoke", "token": row.pk}).status_code == 404
    assert client.post(URL, {"action": "revoke", "token": "x"}).status_code == 404
    assert Api(token).get("/signals").status_code == 200


def test_the_page_is_for_signed_in_people_only(client, db):
    assert client.get(URL).status_code == 302
