"""Every page and fragment of the app. URL names are what templates and tests reverse."""

from django.urls import path

from pages.views import (
    account,
    account_record,
    api_tokens,
    capture,
    catalog,
    dashboard,
    home,
    imports,
    interactions,
    reminders,
    team,
    tuning,
    webhooks,
)

urlpatterns = [
    path("", home.home, name="home"),
    # Reminders: the Today panel's buttons, each person's settings, the calendar feed.
    path("today/mark/", reminders.reminder_mark_view, name="reminder-mark"),
    path("settings/reminders/", reminders.reminder_settings, name="reminder-settings"),
    # Personal API tokens for other tools (the API itself is under /api/v1/).
    path("settings/api-tokens/", api_tokens.api_tokens, name="api-tokens"),
    path("calendar/<str:token>.ics", reminders.calendar_feed, name="calendar-feed"),
    path("healthz/worker", reminders.worker_health_check, name="healthz-worker"),
    # One account: its page, the panels that refresh in place, and what changes it.
    path("accounts/new/", account_record.account_new, name="account-new"),
    path("accounts/<int:account_id>/", account.account_detail, name="account-detail"),
    path(
        "accounts/<int:account_id>/details/",
        account_record.account_details_edit,
        name="account-details",
    ),
    path("accounts/<int:account_id>/lost/", account_record.account_lost, name="account-lost"),
    path(
        "accounts/<int:account_id>/archive/",
        account_record.account_archive,
        name="account-archive",
    ),
    path("contacts/<int:contact_id>/edit/", account_record.contact_edit, name="contact-edit"),
    path("accounts/<int:account_id>/facts/", account.account_facts_edit, name="account-facts"),
    path(
        "accounts/<int:account_id>/assessments/new/", account.assessment_new, name="assessment-new"
    ),
    path("accounts/<int:account_id>/contacts/new/", account.contact_new, name="contact-new"),
    path("contacts/<int:contact_id>/left/", account.contact_left, name="contact-left"),
    path("accounts/<int:account_id>/team/", team.account_team, name="account-team"),
    path("accounts/<int:account_id>/owner/", team.account_owner, name="account-owner"),
    path("accounts/<int:account_id>/sharing/", team.account_sharing, name="account-sharing"),
    path("accounts/<int:account_id>/reopen/", team.account_reopen, name="account-reopen"),
    # Evidence: logging, editing, deleting and undoing interactions.
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
    path("changes/<int:entry_id>/undo/", interactions.interaction_undo, name="interaction-undo"),
    # Capture: meetings and messages from calendars and mail, to confirm as interactions.
    path("capture/", capture.capture_review, name="capture-review"),
    path("capture/sources/", capture.capture_sources, name="capture-sources"),
    path(
        "capture/upload/calendar/",
        capture.capture_calendar_upload,
        name="capture-calendar-upload",
    ),
    path("capture/upload/mail/", capture.capture_mail_upload, name="capture-mail-upload"),
    path("capture/sources/caldav/", capture.capture_caldav_connect, name="capture-caldav"),
    path(
        "capture/sources/<int:source_id>/sync/",
        capture.capture_source_sync_now,
        name="capture-source-sync",
    ),
    path(
        "capture/sources/<int:source_id>/change/",
        capture.capture_source_change,
        name="capture-source-change",
    ),
    path(
        "capture/sources/<int:source_id>/remove/",
        capture.capture_source_remove,
        name="capture-source-remove",
    ),
    path(
        "capture/items/<int:item_id>/confirm/",
        capture.capture_item_confirm,
        name="capture-item-confirm",
    ),
    path(
        "capture/items/<int:item_id>/discard/",
        capture.capture_item_discard,
        name="capture-item-discard",
    ),
    path(
        "capture/items/<int:item_id>/assign/",
        capture.capture_item_assign,
        name="capture-item-assign",
    ),
    # The portfolio: the dashboard, CSV bundles in and out.
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/export.csv", dashboard.dashboard_export, name="dashboard-export"),
    path("import/", imports.portfolio_import_page, name="portfolio-import"),
    path("export/", imports.portfolio_export_download, name="portfolio-export"),
    # Scoring admins: the signal catalog and the scoring profile.
    path("catalog/", catalog.signal_catalog, name="signal-catalog"),
    path("catalog/<int:signal_type_id>/edit/", catalog.signal_type_edit, name="signal-type-edit"),
    path(
        "catalog/<int:signal_type_id>/toggle/",
        catalog.signal_type_toggle,
        name="signal-type-toggle",
    ),
    path("tuning/", tuning.tuning, name="tuning"),
    path("tuning/drafts/new/", tuning.draft_new, name="profile-draft-new"),
    path("tuning/versions/<int:version>/", tuning.draft_edit, name="profile-draft"),
    path("tuning/versions/<int:version>/preview/", tuning.draft_preview, name="profile-preview"),
    path("tuning/versions/<int:version>/live/", tuning.profile_go_live, name="profile-go-live"),
    path("tuning/rollout/", tuning.rollout_progress, name="rollout-progress"),
    path("tuning/versions/<int:version>/backtest/", tuning.backtest, name="profile-backtest"),
    # Scoring admins: webhook endpoints, their delivery logs, a test event.
    path("webhooks/", webhooks.webhook_list, name="webhook-list"),
    path("webhooks/<int:endpoint_id>/", webhooks.webhook_endpoint, name="webhook-endpoint"),
    path("webhooks/<int:endpoint_id>/enable/", webhooks.webhook_enable, name="webhook-enable"),
    path("webhooks/<int:endpoint_id>/test/", webhooks.webhook_test, name="webhook-test"),
    path("webhooks/<int:endpoint_id>/delete/", webhooks.webhook_delete, name="webhook-delete"),
]
