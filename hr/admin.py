from django.contrib import admin

from .models import Assignment, ExamSession, RealResult, ReminderSent


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("blueprint", "organization", "opens_at", "due_at", "created_by")
    list_select_related = ("blueprint", "organization", "created_by")
    list_filter = ("organization",)
    raw_id_fields = ("members",)
    filter_horizontal = ("departments",)


@admin.register(RealResult)
class RealResultAdmin(admin.ModelAdmin):
    list_display = ("user", "exam", "session", "taken_on", "passed", "recorded_by")
    list_select_related = ("user", "exam", "recorded_by")
    list_filter = ("exam", "session", "passed")
    search_fields = ("user__email", "user__display_name")
    raw_id_fields = ("user", "recorded_by")


@admin.register(ExamSession)
class ExamSessionAdmin(admin.ModelAdmin):
    """The sessions members pick from when they record a real result: add each one JDLA announces."""

    list_display = ("exam", "label", "held_on")
    list_select_related = ("exam",)
    list_filter = ("exam",)
    search_fields = ("label",)
    ordering = ("exam__order", "-held_on")


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    """What the reminder task sent or is retrying (hr.reminders), for an operator asked "did the mail go out?".
    Read-only: the rows are the task's claims."""

    list_display = ("kind", "channel", "organization", "assignment", "member", "week", "status", "tries", "sent_at")
    list_select_related = ("organization", "assignment__blueprint", "member__user")
    list_filter = ("status", "kind", "channel")
    search_fields = ("member__user__email", "last_error")
    raw_id_fields = ("organization", "assignment", "member")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
