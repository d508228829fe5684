"""Item statistics where authors work: columns and a panel in the question admin, which analytics extends
(questions knows nothing of analytics), plus a list of every version's statistics to sort and filter."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from questions.admin import QuestionAdmin
from questions.models import Question, QuestionVersion

from .models import ItemStat
from .templatetags.report import pct as _pct

FLAG_LABELS = {
    "negative_discrimination": _("識別力が負"),
    "low_discrimination": _("識別力がほぼ0"),
    "too_easy": _("ほぼ全員正解"),
    "too_hard": _("ほぼ全員不正解"),
    "unused_distractor": _("選ばれない選択肢"),
}


def _flags(flags) -> str:
    return "、".join(str(FLAG_LABELS.get(f, f)) for f in flags or [])


class SuspectFilter(admin.SimpleListFilter):
    title = _("統計上の要確認")
    parameter_name = "suspect"

    def lookups(self, request, model_admin):
        return [("any", _("いずれか")), *FLAG_LABELS.items()]

    def queryset(self, request, queryset):
        prefix = "published_version__stat__flags" if queryset.model is Question else "flags"
        if self.value() == "any":
            return queryset.exclude(**{prefix: []}).filter(**{f"{prefix}__isnull": False})
        if self.value():
            # As text, so it works on SQLite too (which has no JSON containment lookup).
            return queryset.filter(**{f"{prefix}__icontains": f'"{self.value()}"'})
        return queryset


admin.site.unregister(Question)


@admin.register(Question)
class QuestionWithStatisticsAdmin(QuestionAdmin):
    list_display = (*QuestionAdmin.list_display, "responses", "facility", "discrimination", "suspect")
    list_filter = (*QuestionAdmin.list_filter, SuspectFilter)
    list_select_related = (*QuestionAdmin.list_select_related, "published_version__stat")
    readonly_fields = (*QuestionAdmin.readonly_fields, "statistics_panel")
    fieldsets = (*QuestionAdmin.fieldsets, (_("統計（公開中の版ごと）"), {"fields": ("statistics_panel",)}))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("published_version__stat")

    def _stat(self, obj):
        version = obj.published_version
        return getattr(version, "stat", None) if version else None

    @admin.display(description=_("解答数"), ordering="published_version__stat__responses")
    def responses(self, obj):
        stat = self._stat(obj)
        return stat.responses if stat else 0

    @admin.display(description=_("正答率"), ordering="published_version__stat__facility")
    def facility(self, obj):
        return _pct(getattr(self._stat(obj), "facility", None))

    @admin.display(description=_("識別力"), ordering="published_version__stat__discrimination")
    def discrimination(self, obj):
        value = getattr(self._stat(obj), "discrimination", None)
        return "—" if value is None else f"{value:.2f}"

    @admin.display(description=_("要確認"))
    def suspect(self, obj):
        return _flags(getattr(self._stat(obj), "flags", None)) or ""

    @admin.display(description=_("版ごとの統計"))
    def statistics_panel(self, obj):
        if not obj.pk:
            return "—"
        versions = QuestionVersion.objects.filter(question=obj).select_related("stat").prefetch_related("choices")
        rows = []
        for v in versions:
            stat = getattr(v, "stat", None)
            shares = (
                "　".join(
                    f"{n}{'◯' if c.is_correct else ''}: {_pct(stat.share_of(c.pk))}"
                    for n, c in enumerate(v.choices.all(), start=1)
                )
                if stat
                else "—"
            )
            rows.append(
                (
                    f"v{v.number}",
                    stat.responses if stat else 0,
                    _pct(stat.facility if stat else None),
                    "—" if not stat or stat.discrimination is None else f"{stat.discrimination:.2f}",
                    shares,
                    _flags(stat.flags if stat else None),
                )
            )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("版"),
            _("解答数"),
            _("正答率"),
            _("識別力（点双列相関）"),
            _("選択率（著者の順、◯が正解）"),
            _("要確認"),
        )
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table>{}{}</table>", head, body)


@admin.register(ItemStat)
class ItemStatAdmin(admin.ModelAdmin):
    list_display = ("version", "responses", "facility", "discrimination", "flags", "updated_at")
    list_filter = (SuspectFilter,)
    list_select_related = ("version__question",)
    search_fields = ("version__question__external_id",)
    ordering = ("discrimination",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
