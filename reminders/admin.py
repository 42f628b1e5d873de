from django.contrib import admin

from config.admin import ReadOnlyAdmin
from reminders.models import (
    CalendarFeed,
    DigestRun,
    DigestSent,
    ReminderMark,
    ReminderPreference,
    WorkerStatus,
)


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "frequency", "hour"]
    list_filter = ["frequency", "hour"]
    search_fields = ["user__username", "user__email"]


@admin.register(ReminderMark)
class ReminderMarkAdmin(ReadOnlyAdmin):
    list_display = ["user", "key", "state", "until", "marked_at"]
    list_filter = ["state"]
    search_fields = ["user__username", "key"]


@admin.register(DigestSent)
class DigestSentAdmin(ReadOnlyAdmin):
    list_display = ["user", "on", "items", "sent_at"]
    date_hierarchy = "on"
    search_fields = ["user__username"]


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    list_display = ["slot", "status", "sent", "claimed_by", "finished_at"]
    list_filter = ["status"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    # The token's hash only: the address itself is never stored.
    list_display = ["user", "created_at", "revoked_at"]
    search_fields = ["user__username"]


@admin.register(WorkerStatus)
class WorkerStatusAdmin(ReadOnlyAdmin):
    list_display = ["name", "beat_at", "beat_by", "digest_failed_at"]
