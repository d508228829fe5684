from django.contrib import admin

from .models import Department, Invitation, Membership, Organization


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0
    fk_name = "organization"
    autocomplete_fields = ("parent",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "parent")
    list_select_related = ("organization", "parent")
    list_filter = ("organization",)
    search_fields = ("name",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "department", "role", "employee_code", "is_active")
    list_select_related = ("user", "organization", "department")
    list_filter = ("organization", "role", "is_active")
    search_fields = ("user__email", "user__display_name", "employee_code")
    autocomplete_fields = ("user", "department")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are issued in the app, where the one-time link is shown."""

    list_display = ("email", "organization", "department", "role", "created_at", "expires_at", "accepted_at")
    list_select_related = ("organization", "department")
    list_filter = ("organization", "role")
    search_fields = ("email", "display_name", "employee_code")
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request):
        return False
