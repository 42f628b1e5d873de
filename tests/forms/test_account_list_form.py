"""The account list's search, sort and page (a GET form), with any value."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from tests.forms.strategies import FUZZ, classic_cases, fuzz
from tests.forms.support import HTMX, payload, rolled_back


@FUZZ
@classic_cases("q", "sort", "page", htmx=False)
@given(changes=fuzz("q", "sort", "page"), htmx=st.booleans())
def test_the_account_list_takes_any_search_sort_and_page(
    client, alice, alices_account, changes, htmx
):
    """Any search, sort or page answers with the list, the search shown as typed."""
    data = payload({"q": "north", "sort": "-score", "page": "1"}, changes)
    with rolled_back():
        client.force_login(alice)

        response = client.get(reverse("home"), data, **(HTMX if htmx else {}))

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="account-table"' in html
        if not htmx:  # the whole page, with the search box as it was typed
            search = response.context["search"]
            assert len(search) <= 100
            assert f'name="q" value="{escape(search)}"' in html
