from django.contrib import admin

from accounts.models import Account, Assessment, Contact, ExternalPressure


class ExternalPressureInline(admin.TabularInline):
    model = ExternalPressure
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "role", "is_champion", "left_on"]


class AssessmentInline(admin.TabularInline):
    model = Assessment
    extra = 0
    fields = ["assessed_on", "relevance", "client_perceived_stage", "note", "assessed_by"]
    ordering = ["-assessed_on"]
    show_change_link = True


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
    inlines = [ExternalPressureInline, ContactInline, AssessmentInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "role", "is_champion", "account", "left_on"]
    list_filter = ["role", "is_champion"]
    search_fields = ["name", "title", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["account", "assessed_on", "relevance", "client_perceived_stage", "assessed_by"]
    list_filter = ["relevance", "client_perceived_stage"]
    search_fields = ["account__name"]
    date_hierarchy = "assessed_on"
    list_select_related = ["account", "assessed_by"]
    autocomplete_fields = ["account"]


@admin.register(ExternalPressure)
class ExternalPressureAdmin(admin.ModelAdmin):
    list_display = ["description", "account"]
    search_fields = ["description", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]
