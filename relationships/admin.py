from django import forms
from django.contrib import admin

from accounts.admin import AccountAdmin
from accounts.models import Account
from config.admin import ReadOnlyAdmin
from relationships.models import (
    Assessment,
    AuditEntry,
    CapturedItem,
    CaptureSource,
    Contact,
    ExternalPressure,
    Interaction,
    SignalType,
    TrustSignal,
)


class ExternalPressureInline(admin.TabularInline):
    model = ExternalPressure
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "email", "phone", "role", "is_champion", "left_on"]


class AssessmentInline(admin.TabularInline):
    model = Assessment
    extra = 0
    fields = ["assessed_on", "relevance", "client_perceived_stage", "note", "assessed_by"]
    ordering = ["-assessed_on"]
    show_change_link = True


# The account's own admin page shows what we know of its people and world; accounts does not
# know about evidence, so the evidence app adds its inlines to that page.
admin.site.unregister(Account)


@admin.register(Account)
class AccountWithEvidenceAdmin(AccountAdmin):
    inlines = [ExternalPressureInline, ContactInline, AssessmentInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "email", "role", "is_champion", "account", "left_on"]
    list_filter = ["role", "is_champion"]
    search_fields = ["name", "title", "email", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account", "reports_to"]


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


@admin.register(SignalType)
class SignalTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "polarity", "is_active"]
    list_filter = ["category", "polarity", "is_active"]
    search_fields = ["name", "slug", "description"]
    # What a type means is fixed once it exists: every signal logged under it, and every
    # score computed from them, reads it so (relationships/catalog.py). A type that means
    # something else is a new type; this one can be retired.
    MEANING = ("slug", "category", "polarity")

    def get_readonly_fields(self, request, obj=None):
        return self.MEANING if obj is not None else ()

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ["name"]} if obj is None else {}


class InteractionAdminForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = [
            "account",
            "occurred_on",
            "kind",
            "logged_by",
            "participants",
            "initiated_by_client",
            "notes",
            "sentiment",
            "external_id",
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        account = cleaned.get("account")
        outsiders = [
            c
            for c in cleaned.get("participants") or []
            if c.account_id != getattr(account, "pk", None)
        ]
        if account and outsiders:
            names = ", ".join(c.name for c in outsiders)
            self.add_error("participants", f"Not contacts of {account}: {names}.")
        return cleaned


class TrustSignalInline(admin.TabularInline):
    model = TrustSignal
    extra = 0
    fields = ["signal_type", "observed_on", "note", "logged_by"]
    autocomplete_fields = ["signal_type"]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    form = InteractionAdminForm
    list_display = [
        "occurred_on",
        "account",
        "kind",
        "initiated_by_client",
        "sentiment",
        "logged_by",
    ]
    list_filter = ["kind", "initiated_by_client", "sentiment"]
    search_fields = ["account__name", "notes", "external_id"]
    date_hierarchy = "occurred_on"
    list_select_related = ["account", "logged_by"]
    autocomplete_fields = ["account", "participants"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [TrustSignalInline]

    def save_formset(self, request, form, formset, change):
        # Signals added inline belong to the interaction's account.
        for signal_form in formset.forms:
            if signal_form.instance.interaction_id or signal_form.has_changed():
                signal_form.instance.account = form.instance.account
        super().save_formset(request, form, formset, change)


@admin.register(TrustSignal)
class TrustSignalAdmin(admin.ModelAdmin):
    list_display = ["observed_on", "account", "signal_type", "interaction", "logged_by"]
    list_filter = ["signal_type__category", "signal_type"]
    search_fields = ["account__name", "note"]
    date_hierarchy = "observed_on"
    list_select_related = ["account", "signal_type", "logged_by", "interaction"]
    autocomplete_fields = ["account", "signal_type"]
    raw_id_fields = ["interaction"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The change history is evidence of who did what: readable here, never editable."""

    list_display = ["at", "account", "actor", "action", "subject", "summary"]
    list_filter = ["action", "subject"]
    search_fields = ["summary", "account__name", "actor__username"]
    list_select_related = ["account", "actor"]
    date_hierarchy = "at"


@admin.register(CaptureSource)
class CaptureSourceAdmin(ReadOnlyAdmin):
    """Where each person's captured meetings and messages come from, and how the last sync
    went; the app password and the sync position stay out of sight."""

    list_display = ["name", "owner", "kind", "last_success_at", "found", "matched", "last_error"]
    list_filter = ["kind"]
    search_fields = ["name", "owner__username", "url"]
    exclude = ["password_encrypted", "sync_token"]
    list_select_related = ["owner"]


@admin.register(CapturedItem)
class CapturedItemAdmin(ReadOnlyAdmin):
    list_display = ["subject", "owner", "kind", "occurred_on", "account", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["subject", "account__name", "owner__username"]
    date_hierarchy = "occurred_on"
    list_select_related = ["owner", "account"]
