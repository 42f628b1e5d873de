from django.contrib import admin

from accounts.models import Account, AccountDomain


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
    search_fields = ["name", "external_id", "industry", "next_step", "domains__domain"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(AccountDomain)
class AccountDomainAdmin(admin.ModelAdmin):
    """Read here; changed on the account's details page, which keeps a domain with one active
    account and records the change in the account's history."""

    list_display = ["domain", "account", "claimed"]
    list_filter = ["claimed"]
    search_fields = ["domain", "account__name"]
    list_select_related = ["account"]
    readonly_fields = ["account", "domain", "claimed"]

    def has_add_permission(self, request) -> bool:
        return False
