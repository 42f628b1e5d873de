"""Every model of the app has an admin page that opens, lists, filters and searches."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import InteractionFactory

OUR_APPS = ("accounts", "webhooks", "relationships", "scoring", "reminders")
MODELS = [
    model
    for app in OUR_APPS
    for model in apps.get_app_config(app).get_models()
    if not model._meta.auto_created
]


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_the_model_is_in_admin_with_a_working_list_and_search(admin_client, alices_account, model):
    InteractionFactory(account=alices_account)
    assert admin.site.is_registered(model), f"{model._meta.label} is missing from admin"
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    if admin.site._registry[model].search_fields:
        assert admin_client.get(url, {"q": "Northwind"}).status_code == 200


# What README sends a scoring admin to Django admin for: the signal catalog and everything
# scoring keeps, to read.
SCORING_ADMIN_READS = [
    "relationships.SignalType",
    "scoring.ScoringProfile",
    "scoring.ProfileChange",
    "scoring.ProfileRollout",
    "scoring.BacktestRun",
    "scoring.ScoreSnapshot",
]


def _admin_url(label: str, view: str) -> str:
    meta = apps.get_model(label)._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}")


def test_a_scoring_admin_reads_the_catalog_and_what_scoring_keeps_in_admin(client, sam):
    sam.is_staff = True  # as the demo makes them; staff status lets a person into admin
    sam.save()
    client.force_login(sam)

    index = client.get(reverse("admin:index")).content.decode()

    assert "permission to view or edit anything" not in index
    for label in SCORING_ADMIN_READS:
        assert str(apps.get_model(label)._meta.verbose_name_plural).capitalize() in index
        assert client.get(_admin_url(label, "changelist")).status_code == 200, label
    # Reading only: changes go through the catalog and tuning pages, which check them.
    assert client.get(_admin_url("relationships.SignalType", "add")).status_code == 403
    # Nothing beyond scoring: accounts, evidence and people are not theirs to browse here.
    for label in ("accounts.Account", "relationships.Interaction", "auth.User"):
        assert client.get(_admin_url(label, "changelist")).status_code == 403, label


def test_what_a_signal_type_means_is_fixed_once_it_exists(admin_client):
    """Every signal logged under a type, and every stored week scored from them, reads its
    category and polarity: an edit may rename it or retire it, never change its meaning."""
    from relationships.models import SignalType

    kept = SignalType.objects.get(slug="delivered_as_promised")
    url = reverse("admin:relationships_signaltype_change", args=[kept.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="name"' in page
    for field in ("slug", "category", "polarity"):
        assert f'name="{field}"' not in page, field

    response = admin_client.post(
        url,
        {"name": "Delivered on time", "description": "", "slug": "changed", "category":
         "openness", "polarity": "-1", "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    kept.refresh_from_db()
    assert (kept.name, kept.slug, kept.polarity) == (
        "Delivered on time",
        "delivered_as_promised",
        1,
    )
    new = admin_client.get(reverse("admin:relationships_signaltype_add")).content.decode()
    assert all(f'name="{field}"' in new for field in ("slug", "category", "polarity"))
