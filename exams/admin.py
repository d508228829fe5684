from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from .models import Attempt, Blueprint, BlueprintQuota


class QuotaFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.is_drill:
            return
        total = sum(
            f.cleaned_data.get("count", 0) for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
        )
        if total != self.instance.question_count:
            raise ValidationError(
                _("分野ごとの出題数の合計（%(total)d）が問題数（%(count)d）と一致しません。")
                % {"total": total, "count": self.instance.question_count}
            )


class QuotaInline(admin.TabularInline):
    model = BlueprintQuota
    formset = QuotaFormSet
    extra = 0
    autocomplete_fields = ("area",)


@admin.register(Blueprint)
class BlueprintAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "exam",
        "question_count",
        "minutes",
        "pass_ratio",
        "requires_framework",
        "is_drill",
        "is_active",
    )
    list_filter = ("exam", "is_active")
    list_select_related = ("exam",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("organizations",)
    inlines = [QuotaInline]


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "blueprint", "status", "framework", "started_at", "deadline", "score", "passed")
    list_filter = ("status", "blueprint")
    list_select_related = ("user", "blueprint")
    search_fields = ("user__email",)
    readonly_fields = [f.name for f in Attempt._meta.fields]

    def has_add_permission(self, request):
        return False
