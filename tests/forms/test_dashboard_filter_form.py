"""The dashboard's filters (a GET form), with any value."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given

from scoring.dashboard.filters import DashboardFilterForm
from tests.forms.strategies import FUZZ, classic_cases, fuzz, with_refs
from tests.forms.support import assert_explained, payload, rolled_back

DASHBOARD_FIELDS = (
    "manager",
    "industry",
    "stage",
    "potential",
    "risk_band",
    "revenue_min",
    "revenue_max",
    "period",
    "trails",
)


@FUZZ
@classic_cases(*DASHBOARD_FIELDS)
@given(changes=fuzz(*DASHBOARD_FIELDS, values=with_refs("alice", "lena")))
def test_the_dashboard_takes_any_filter_and_explains_the_ones_it_ignores(
    client, alice, lena, alices_account, changes
):
    """Every filter value gets the dashboard (and its export); a bad one is explained by its
    field."""
    valid = {
        "manager": alice.pk,
        "industry": "Logistics",
        "stage": "vendor",
        "potential": "unknown",
        "risk_band": "low",
        "revenue_min": "0",
        "revenue_max": "1000000",
        "period": "90",
        "trails": "on",
    }
    data = payload(valid, changes, {"alice": alice.pk, "lena": lena.pk})
    with rolled_back():
        client.force_login(lena)

        response = client.get(reverse("dashboard"), data)

        assert response.status_code == 200
        # The page's form, as the view builds it from the query the page was asked with.
        form = DashboardFilterForm(response.wsgi_request.GET)
        if form.errors:
            assert_explained(response, form)
        export = client.get(reverse("dashboard-export"), data)
        assert export.status_code == 200
        assert export.content.decode().startswith("external_id,")
