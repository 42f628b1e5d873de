from django.contrib import admin

from accounts.models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "industry",
        "owner",
        "annual_revenue",
        "partnership_potential",
        "status",
        "lost_on",
        "next_step_due",
    ]
    list_filter = ["status", "partnership_potential", "industry", "owner"]
    search_fields = ["name", "external_id", "industry", "next_step"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
