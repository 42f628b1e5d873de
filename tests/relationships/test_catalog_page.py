"""Scoring admins keep the signal catalog: add, rename, retire; every change recorded."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts import roles
from relationships.models import SignalType
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sam(migrated_rows):
    user = UserFactory(username="sam", first_name="Sam", last_name="Admin")
    user.groups.add(Group.objects.get(name=roles.SCORING_ADMIN))
    return user


def test_only_scoring_admins_keep_the_catalog(client, alice, lena, sam):
    for person in (alice, lena):
        client.force_login(person)
        assert client.get(reverse("signal-catalog")).status_code == 403
    client.force_login(sam)
    page = client.get(reverse("signal-catalog")).content.decode()
    assert "Invited to planning" in page and "invited_to_planning" in page


def test_a_new_type_is_added_and_offered_in_the_log_form(client, sam, alice, alices_account):
    client.force_login(sam)
    response = client.post(
        reverse("signal-catalog"),
        {
            "name": "Asked for references",
            "slug": "asked_for_references",
            "category": "advisory",
            "polarity": "1",
            "description": "They asked us to vouch for a partner of theirs.",
        },
        follow=True,
    )
    assert "“Asked for references” is in the catalog." in response.content.decode()
    assert "Added “Asked for references”" in response.content.decode()

    client.force_login(alice)
    form = client.get(reverse("interaction-new", args=[alices_account.pk])).content.decode()
    assert "Asked for references" in form


def test_a_bad_slug_or_a_taken_one_is_explained_by_its_field(client, sam):
    client.force_login(sam)
    bad = client.post(
        reverse("signal-catalog"),
        {"name": "X", "slug": "Bad Slug!", "category": "advisory", "polarity": "1"},
    )
    assert "Use lower-case letters and digits" in bad.content.decode()
    taken = client.post(
        reverse("signal-catalog"),
        {"name": "Again", "slug": "invited_to_planning", "category": "inclusion", "polarity": "1"},
    )
    assert "Signal type with this Slug already exists." in taken.content.decode()
    assert SignalType.objects.filter(slug="invited_to_planning").count() == 1


def test_renaming_keeps_the_slug_and_retiring_hides_from_forms(client, sam, alice, alices_account):
    planning = SignalType.objects.get(slug="invited_to_planning")
    client.force_login(sam)
    row = client.post(
        reverse("signal-type-edit", args=[planning.pk]),
        {"name": "Invited into their planning", "description": "Same behaviour, clearer words."},
        **HTMX,
    ).content.decode()
    assert "Invited into their planning" in row and "invited_to_planning" in row

    retired = client.post(reverse("signal-type-toggle", args=[planning.pk]), **HTMX)
    assert "Bring back" in retired.content.decode()
    planning.refresh_from_db()
    assert (planning.slug, planning.is_active) == ("invited_to_planning", False)

    client.force_login(alice)
    form = client.get(reverse("interaction-new", args=[alices_account.pk])).content.decode()
    assert "Invited into their planning" not in form
    client.force_login(sam)
    history = client.get(reverse("signal-catalog")).content.decode()
    assert "Retired “Invited into their planning”." in history
    assert "Renamed “Invited to planning” → “Invited into their planning”" in history
