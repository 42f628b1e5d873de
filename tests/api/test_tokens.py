"""Personal tokens: kept only as a hash, refused once revoked, read-only where asked, and made
from the command line as well as the settings page."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke
from tests.api.conftest import Api, api_for


def test_the_token_is_stored_only_as_its_hash(alice):
    row, token = api_token_create(user=alice, name="BI nightly")

    assert token.startswith(row.prefix)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert token not in stored
    assert token[len(row.prefix) :] not in stored
    assert Api(token).get("/signals").status_code == 200


def test_a_revoked_token_answers_401(alice):
    row, token = api_token_create(user=alice, name="ERP")
    api_token_revoke(token=row)

    response = Api(token).get("/signals")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


@pytest.mark.parametrize("header", ["Bearer rt_not-a-token", "Bearer ", "Basic YWxpY2U6ZGVtbw=="])
def test_an_unknown_token_or_another_scheme_answers_401(client, alice, header):
    api_token_create(user=alice, name="ERP")
    assert client.get("/api/v1/signals", headers={"Authorization": header}).status_code == 401


def test_a_deactivated_persons_token_answers_401(alice):
    _, token = api_token_create(user=alice, name="ERP")
    alice.is_active = False
    alice.save()
    assert Api(token).get("/signals").status_code == 401


def test_a_read_only_token_reads_but_every_write_is_refused(book, alice):
    reader = api_for(alice, read_only=True)
    north = book["north"]
    assert reader.get(f"/accounts/{north.pk}").status_code == 200

    logged = reader.post(f"/accounts/{north.pk}/interactions", {"notes": "Lunch"})
    added = reader.post(f"/accounts/{north.pk}/contacts", {"name": "Eve"})

    assert logged.status_code == added.status_code == 403
    assert "read-only" in logged.json()["detail"]
    assert north.interactions.count() == 2
    assert not north.contacts.filter(name="Eve").exists()


def test_last_use_is_noted_at_most_once_a_minute(alice):
    row, token = api_token_create(user=alice, name="ERP")
    assert row.last_used_at is None
    Api(token).get("/signals")
    first = ApiToken.objects.get(pk=row.pk).last_used_at
    assert first is not None

    Api(token).get("/signals")
    assert ApiToken.objects.get(pk=row.pk).last_used_at == first

    a_while_ago = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=a_while_ago)
    Api(token).get("/signals")
    assert ApiToken.objects.get(pk=row.pk).last_used_at > a_while_ago


def test_the_command_prints_a_working_token_as_its_last_line(book, alice):
    out = StringIO()
    call_command("api_token", "create", "alice", "--name", "ERP sync", stdout=out)

    token = out.getvalue().strip().splitlines()[-1]
    row = ApiToken.objects.get(user=alice)
    assert (row.name, row.read_only) == ("ERP sync", False)
    assert token not in row.token_hash
    response = Api(token).get("/accounts")
    assert [item["name"] for item in response.json()["items"]] == [
        "Cedar Analytics",
        "Northwind Freight",
    ]


def test_the_command_makes_read_only_tokens_lists_and_revokes_them(book, alice):
    out = StringIO()
    call_command("api_token", "create", "alice", "--read-only", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    north = book["north"].pk
    assert Api(token).post(f"/accounts/{north}/contacts", {"name": "Eve"}).status_code == 403

    row = ApiToken.objects.get(user=alice)
    listing = StringIO()
    call_command("api_token", "list", "alice", stdout=listing)
    assert f"{row.pk}\talice\t{row.prefix}…" in listing.getvalue()
    assert "read-only" in listing.getvalue()
    assert token not in listing.getvalue()

    call_command("api_token", "revoke", str(row.pk), stdout=StringIO())
    assert Api(token).get("/signals").status_code == 401
    with pytest.raises(CommandError, match="already revoked"):
        call_command("api_token", "revoke", str(row.pk))


def test_the_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user is called 'nobody'"):
        call_command("api_token", "create", "nobody")


def test_the_command_refuses_a_name_longer_than_the_column_in_words(alice):
    with pytest.raises(CommandError, match=r"150 characters long; keep it to 100\. \(--name\)"):
        call_command("api_token", "create", "alice", "--name", "n" * 150)
    with pytest.raises(CommandError, match="Give the token a name"):
        call_command("api_token", "create", "alice", "--name", "   ")
    assert not ApiToken.objects.filter(user=alice).exists()


def test_the_service_refuses_a_name_longer_than_the_column(alice):
    with pytest.raises(ValidationError, match="keep it to 100"):
        api_token_create(user=alice, name="n" * 101)
    row, _ = api_token_create(user=alice, name=f"  {'n' * 100}  ")
    assert row.name == "n" * 100


@pytest.mark.parametrize(
    ("token_id", "read_as"), [("\u0663", 3), ("+1", 1), (" 1", 1), ("1_0", 10)]
)
def test_revoking_takes_a_plain_ascii_id_only(alice, token_id, read_as):
    # The token sits at the id int() would read the odd spelling as.
    row, _ = api_token_create(user=alice, name="ERP sync")
    ApiToken.objects.filter(pk=row.pk).update(id=read_as)

    with pytest.raises(CommandError, match="A token id is a number, as `list` shows it"):
        call_command("api_token", "revoke", token_id)
    assert ApiToken.objects.get(pk=read_as).revoked_at is None
