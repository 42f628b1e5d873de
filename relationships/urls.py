from django.urls import path

from relationships.views import account, catalog, imports, interactions

urlpatterns = [
    path("accounts/<int:account_id>/", account.account_detail, name="account-detail"),
    path("accounts/<int:account_id>/facts/", account.account_facts_edit, name="account-facts"),
    path(
        "accounts/<int:account_id>/assessments/new/", account.assessment_new, name="assessment-new"
    ),
    path("accounts/<int:account_id>/contacts/new/", account.contact_new, name="contact-new"),
    path("contacts/<int:contact_id>/left/", account.contact_left, name="contact-left"),
    path("accounts/<int:account_id>/log/", interactions.interaction_new, name="interaction-new"),
    path(
        "interactions/<int:interaction_id>/edit/",
        interactions.interaction_edit,
        name="interaction-edit",
    ),
    path(
        "interactions/<int:interaction_id>/delete/",
        interactions.interaction_delete,
        name="interaction-delete",
    ),
    path("catalog/", catalog.signal_catalog, name="signal-catalog"),
    path("catalog/<int:signal_type_id>/edit/", catalog.signal_type_edit, name="signal-type-edit"),
    path(
        "catalog/<int:signal_type_id>/toggle/",
        catalog.signal_type_toggle,
        name="signal-type-toggle",
    ),
    path("import/", imports.portfolio_import_page, name="portfolio-import"),
    path("export/", imports.portfolio_export_download, name="portfolio-export"),
    path("changes/<int:entry_id>/undo/", interactions.interaction_undo, name="interaction-undo"),
]
