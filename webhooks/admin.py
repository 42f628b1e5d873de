from django.contrib import admin

from config.admin import ReadOnlyAdmin
from webhooks.models import Delivery, Endpoint, Event


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    """Endpoints to read; scoring admins register and change them on the Webhooks page. The
    signing secret stays out of sight."""

    list_display = ["url", "description", "is_enabled", "created_by", "created_at"]
    list_filter = ["is_enabled"]
    search_fields = ["url", "description"]
    exclude = ["secret"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["kind", "uuid"]
    date_hierarchy = "created_at"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "last_attempt_at", "next_attempt_at"]
    list_filter = ["status"]
    search_fields = ["endpoint__url", "event__kind"]
    list_select_related = ["event", "endpoint"]
