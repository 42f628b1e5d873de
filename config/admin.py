from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that are evidence of what happened (histories, computed scores): readable in
    admin, never added, edited or deleted there."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
