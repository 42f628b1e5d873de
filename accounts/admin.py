from django.contrib import admin

from accounts.models import Account, AccountDomain, ApiToken
from config.admin import ReadOnlyAdmin


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


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens to read (who has one, for what, last used); made and revoked on the API tokens
    page or with `manage.py api_token`. The hash stays out of sight."""

    list_display = [
        "name",
        "user",
        "prefix",
        "read_only",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["read_only"]
    search_fields = ["name", "user__username", "prefix"]
    exclude = ["token_hash"]
