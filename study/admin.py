from django.contrib import admin

from .models import ExamPlan


@admin.register(ExamPlan)
class ExamPlanAdmin(admin.ModelAdmin):
    list_display = ("user", "session", "updated_at")
    list_select_related = ("user", "session__exam")
    search_fields = ("user__email",)
