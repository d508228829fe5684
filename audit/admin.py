from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is written by audit.services.record and purged by its retention task, nothing else."""

    list_display = ("at", "organization", "action", "actor", "token", "target", "ip")
    list_filter = ("action",)
    list_select_related = ("organization", "actor", "token", "target__user")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
