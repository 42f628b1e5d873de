"""Every model of the app has an admin page that opens, lists, filters and searches."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import InteractionFactory

OUR_APPS = ("accounts", "relationships", "scoring")
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
