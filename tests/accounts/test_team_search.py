"""A sales lead of a large team finds managers by name instead of scrolling through all of
them; the team form stays short and what is already chosen stays chosen."""

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.forms import FOUND_AT_MOST, OFFER_ALL_UP_TO
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _managers(count: int, *, first_name: str = "Casey") -> list:
    group = Group.objects.get(name=roles.ACCOUNT_MANAGER)
    made = []
    for number in range(count):
        manager = UserFactory.create(
            username=f"{first_name.lower()}{number:03d}",
            first_name=first_name,
            last_name=f"Number{number:03d}",
        )
        manager.groups.add(group)
        made.append(manager)
    return made


@pytest.fixture
def large_team(alice, bob):
    """Far more managers than the form lists: 60 Caseys and one Quinn."""
    return [*_managers(60), *_managers(1, first_name="Quinn")]


def _offered(page: str, name: str) -> set[int]:
    return {int(pk) for pk in re.findall(rf'name="{name}" value="(\d+)"', page)}


def test_a_small_team_is_listed_whole_without_a_search(client, lena, alice, bob, alices_account):
    _managers(OFFER_ALL_UP_TO - 2)  # with Alice and Bob: exactly the most that is listed
    client.force_login(lena)

    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()

    assert "Find a manager" not in page
    assert len(_offered(page, "shared_with")) == OFFER_ALL_UP_TO
    assert '<select name="owner"' in page


def test_a_large_team_offers_only_who_is_chosen_until_a_search(
    client, lena, alice, bob, alices_account, large_team
):
    alices_account.shared_with.add(bob)
    client.force_login(lena)

    page = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()

    assert '<label for="team-find">Find a manager</label>' in page
    assert _offered(page, "owner") == {alice.pk}
    assert _offered(page, "shared_with") == {bob.pk}
    assert f'type="radio" name="owner" value="{alice.pk}"' in page
    assert re.search(rf'value="{alice.pk}"[^>]*checked', page)
    assert re.search(rf'name="shared_with" value="{bob.pk}"[^>]*checked', page)


def test_a_search_offers_the_matching_managers_and_keeps_what_is_ticked(
    client, lena, alice, bob, alices_account, large_team
):
    quinn = large_team[-1]
    client.force_login(lena)

    response = client.get(
        reverse("account-team", args=[alices_account.pk]),
        {"find": "quinn", "owner": alice.pk, "shared_with": [bob.pk]},
        **HTMX,
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="account-team-forms">')
    # The result is said in the status line that stays on the page (out of band).
    assert re.search(
        r'<span id="team-find-status" hx-swap-oob="innerHTML">1 manager matches “quinn”', page
    )
    assert _offered(page, "owner") == {alice.pk, quinn.pk}
    assert _offered(page, "shared_with") == {bob.pk, quinn.pk}
    assert re.search(rf'name="shared_with" value="{bob.pk}"[^>]*checked', page)
    assert not re.search(rf'name="shared_with" value="{quinn.pk}"[^>]*checked', page)


def test_every_word_of_a_search_must_match_and_a_long_list_is_cut_short(
    client, lena, alice, alices_account, large_team
):
    client.force_login(lena)
    url = reverse("account-team", args=[alices_account.pk])

    narrowed = client.get(url, {"find": "  casey   number007 ", "owner": alice.pk}, **HTMX)
    assert _offered(narrowed.content.decode(), "owner") == {alice.pk, large_team[7].pk}

    broad = client.get(url, {"find": "casey", "owner": alice.pk}, **HTMX).content.decode()
    assert len(_offered(broad, "owner")) == FOUND_AT_MOST + 1
    assert f"More than {FOUND_AT_MOST} managers match “casey”" in broad

    nobody = client.get(url, {"find": "zebedee", "owner": alice.pk}, **HTMX).content.decode()
    assert "No manager matches “zebedee”." in nobody
    by_surname_first = client.get(url, {"find": "Number000, Quinn", "owner": alice.pk}, **HTMX)
    assert large_team[-1].pk in _offered(by_surname_first.content.decode(), "owner")
    assert _offered(nobody, "owner") == {alice.pk}


def test_a_search_ignores_accents_on_either_side(client, lena, alice, alices_account, large_team):
    elodie = UserFactory.create(username="elodie", first_name="Élodie", last_name="Ørsted")
    elodie.groups.add(Group.objects.get(name=roles.ACCOUNT_MANAGER))
    client.force_login(lena)
    url = reverse("account-team", args=[alices_account.pk])

    for words in ("elodie orsted", "ÉLODIE", "qúinn"):
        page = client.get(url, {"find": words, "owner": alice.pk}, **HTMX).content.decode()
        found = elodie if "lodie" in words.lower() else large_team[-1]
        assert _offered(page, "owner") == {alice.pk, found.pk}, words


def test_a_manager_unticked_before_a_search_stays_on_offer_until_saved(
    client, lena, alice, bob, alices_account, large_team
):
    alices_account.shared_with.add(bob)
    client.force_login(lena)

    # Bob unticked (not sent), then a search for Quinn.
    page = client.get(
        reverse("account-team", args=[alices_account.pk]),
        {"find": "quinn", "owner": alice.pk},
        **HTMX,
    ).content.decode()

    assert _offered(page, "shared_with") == {bob.pk, large_team[-1].pk}
    assert not re.search(r'name="shared_with" value="\d+"[^>]*checked', page)


def test_namesakes_are_told_apart_and_an_empty_list_says_where_to_look(
    client, lena, alice, alices_account, large_team
):
    twin = _managers(1, first_name="Alice")[0]
    twin.last_name = "Moreau"
    twin.save()
    alice.first_name, alice.last_name = "Alice", "Moreau"
    alice.save()
    client.force_login(lena)

    page = client.get(
        reverse("account-detail", args=[alices_account.pk]), {"find": "moreau"}
    ).content.decode()

    assert "Alice Moreau (alice)" in page and f"Alice Moreau ({twin.username})" in page
    empty = client.get(reverse("account-detail", args=[alices_account.pk])).content.decode()
    assert "Nobody yet: find a manager above." in empty  # nobody shares it yet


def test_odd_input_is_refused_or_ignored_without_a_server_error(
    client, lena, alice, alices_account, large_team
):
    client.force_login(lena)
    team = reverse("account-team", args=[alices_account.pk])
    for odd in ("²", "①", "abc", "-1", "9" * 30, "\x00"):
        assert (
            client.get(team, {"find": odd, "owner": odd, "shared_with": [odd]}, **HTMX).status_code
            == 200
        )
        refused = client.post(
            reverse("account-owner", args=[alices_account.pk]), {"owner": odd}, **HTMX
        )
        assert (
            "Select a valid choice" in refused.content.decode()
            or "required" in refused.content.decode()
        )
        shared = client.post(
            reverse("account-sharing", args=[alices_account.pk]), {"shared_with": [odd]}, **HTMX
        )
        assert shared.status_code == 200 and "Sharing saved." not in shared.content.decode()
    assert client.get(team, {"find": "Smith, Quinn\x00"}, **HTMX).status_code == 200
    alices_account.refresh_from_db()
    assert alices_account.owner == alice and not alices_account.shared_with.exists()


def test_a_search_on_a_small_team_changes_nothing(client, lena, alice, bob, alices_account):
    client.force_login(lena)

    page = client.get(
        reverse("account-detail", args=[alices_account.pk]), {"find": "alice"}
    ).content.decode()

    assert "matches" not in page and '<details class="team" id="account-team">' in page
    assert _offered(page, "shared_with") == {alice.pk, bob.pk}


def test_a_found_manager_becomes_the_owner_and_is_shared_with(
    client, lena, alice, alices_account, large_team
):
    quinn, casey = large_team[-1], large_team[0]
    client.force_login(lena)

    client.post(reverse("account-owner", args=[alices_account.pk]), {"owner": quinn.pk}, **HTMX)
    answer = client.post(
        reverse("account-sharing", args=[alices_account.pk]), {"shared_with": [casey.pk]}, **HTMX
    ).content.decode()

    alices_account.refresh_from_db()
    assert alices_account.owner == quinn
    assert list(alices_account.shared_with.all()) == [casey]
    # The form comes back offering the new owner and the sharing, not the whole team.
    assert _offered(answer, "owner") == {quinn.pk}
    assert _offered(answer, "shared_with") == {casey.pk}


def test_a_refused_owner_is_explained_and_the_current_one_still_offered(
    client, lena, alice, alices_account, large_team
):
    client.force_login(lena)

    answer = client.post(
        reverse("account-owner", args=[alices_account.pk]), {"owner": lena.pk}, **HTMX
    ).content.decode()

    assert "Select a valid choice" in answer
    assert _offered(answer, "owner") == {alice.pk}
    alices_account.refresh_from_db()
    assert alices_account.owner == alice


def test_searching_without_htmx_opens_the_team_form_on_the_account_page(
    client, lena, alice, alices_account, large_team
):
    client.force_login(lena)

    response = client.get(reverse("account-team", args=[alices_account.pk]), {"find": "Quinn"})

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert '<details class="team" id="account-team" open>' in page
    assert 'value="Quinn"' in page
    assert _offered(page, "owner") == {alice.pk, large_team[-1].pk}


def test_the_account_page_costs_the_same_queries_with_ten_times_the_team(
    client, lena, alices_account
):
    _managers(OFFER_ALL_UP_TO + 1)
    client.force_login(lena)
    url = reverse("account-detail", args=[alices_account.pk])
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"find": "casey"})
    _managers(10 * OFFER_ALL_UP_TO, first_name="Robin")
    with CaptureQueriesContext(connection) as large:
        page = client.get(url, {"find": "casey"}).content.decode()
    assert len(large) == len(small)
    assert len(_offered(page, "shared_with")) == FOUND_AT_MOST
    assert len(page) < 200_000


def test_the_details_form_offers_a_large_team_in_one_select_with_the_owner_chosen(
    client, lena, alice, alices_account, large_team
):
    """The details form keeps a plain select of every manager (typing a name finds it), built
    in one pass however large the team; the owner is chosen and a refusal is explained."""
    client.force_login(lena)
    url = reverse("account-details", args=[alices_account.pk])

    page = client.get(url).content.decode()

    select = re.search(r'<select[^>]*name="owner"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert len(re.findall(r"<option value=\"\d+\"", select.group(1))) == len(large_team) + 2
    assert f'<option value="{alice.pk}" selected>Alice</option>' in select.group(1)
    refused = client.post(url, {"name": "Northwind Freight", "owner": "x"}).content.decode()
    assert re.search(r'<select aria-describedby="[^"]*id_owner_error" aria-invalid="true"', refused)
