"""The API tokens page's forms: making a token, and revoking one."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape
from hypothesis import given

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke, token_hash
from tests.forms.strategies import FUZZ, classic_cases, fuzz, with_refs
from tests.forms.support import assert_answered, assert_explained, payload, rolled_back, sent


@FUZZ
@classic_cases("name", "read_only", "action")
@given(changes=fuzz("name", "read_only", "action"))
def test_making_a_token_with_any_input_shows_it_once_or_explains_and_makes_none(
    client, alice, changes
):
    """A token is made with the name as typed (trimmed) and shown once, on this answer; or
    the form is back with its message and no token exists."""
    data = payload({"name": "BI nightly export", "read_only": "on", "action": "create"}, changes)
    with rolled_back():
        client.force_login(alice)
        before = ApiToken.objects.count()

        response = client.post(reverse("api-tokens"), data)

        assert_answered(response)
        assert response.status_code == 200
        if ApiToken.objects.count() == before + 1:
            made = ApiToken.objects.get(user=alice)
            shown = response.context["new_token"]
            assert made.token_hash == token_hash(shown)
            assert escape(shown) in response.content.decode()
            assert made.name == sent(data, "name").strip()
            read_only = sent(data, "read_only")
            # As the checkbox reads it: ticked for any value but "false" (any case).
            assert made.read_only == (bool(read_only) and read_only.lower() != "false")
        else:
            assert_explained(response, response.context["form"])
            assert not response.context["new_token"]
            assert ApiToken.objects.count() == before


@FUZZ
@classic_cases("token")
@given(changes=fuzz("token", values=with_refs("mine", "revoked", "bobs")))
def test_revoking_with_any_token_field_revokes_only_ones_own_live_token(
    client, alice, bob, changes
):
    """Only one's own token is revoked (it then opens nothing); any other value, someone
    else's token included, is not found and revokes nothing."""
    with rolled_back():
        mine, _ = api_token_create(user=alice, name="ERP sync")
        revoked, _ = api_token_create(user=alice, name="Old export")
        api_token_revoke(token=revoked)
        bobs, _ = api_token_create(user=bob, name="Bob's bot")
        refs = {"mine": mine.pk, "revoked": revoked.pk, "bobs": bobs.pk}
        data = payload({"token": mine.pk, "action": "revoke"}, changes, refs)
        client.force_login(alice)
        live_before = set(ApiToken.objects.filter(revoked_at__isnull=True).values_list("pk"))

        response = client.post(reverse("api-tokens"), data, follow=True)

        assert_answered(response, 404)
        live_after = set(ApiToken.objects.filter(revoked_at__isnull=True).values_list("pk"))
        if sent(data, "token") == str(mine.pk):
            assert live_after == live_before - {(mine.pk,)}
            assert "Revoked “ERP sync”" in response.content.decode()
        elif sent(data, "token") == str(revoked.pk):
            assert response.status_code == 200  # already revoked: nothing more to do
            assert live_after == live_before
        else:
            assert response.status_code == 404
            assert live_after == live_before
