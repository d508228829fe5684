"""Item statistics where authors work: columns and a panel in the question admin, which analytics extends
(questions knows nothing of analytics), plus a list of every version's statistics to sort and filter."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from common import charts
from common.templatetags.report import pct as _pct
from exams.models import ItemParameters, PassStandard
from questions.admin import QuestionAdmin
from questions.models import Exam, Question, QuestionVersion

from . import calibration
from .models import ItemStat

FLAG_LABELS = {
    "negative_discrimination": _("識別力が負"),
    "low_discrimination": _("識別力がほぼ0"),
    "too_easy": _("ほぼ全員正解"),
    "too_hard": _("ほぼ全員不正解"),
    "unused_distractor": _("選ばれない選択肢"),
}


def _flags(flags) -> str:
    return "、".join(str(FLAG_LABELS.get(f, f)) for f in flags or [])


def _decimal(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _stat_glossary() -> str:
    """What the figures and flags mean, under the statistics wherever an author reads them."""
    return render_to_string("admin/analytics/stat_glossary.html")


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
    change_list_template = "admin/analytics/question_change_list.html"  # adds 予測の検証 to the tools
    list_display = (*QuestionAdmin.list_display, "responses", "facility", "discrimination", "suspect")
    list_filter = (*QuestionAdmin.list_filter, SuspectFilter)
    list_select_related = (*QuestionAdmin.list_select_related, "published_version__stat")
    readonly_fields = (*QuestionAdmin.readonly_fields, "statistics_panel")
    fieldsets = (*QuestionAdmin.fieldsets, (_("統計（公開中の版ごと）"), {"fields": ("statistics_panel",)}))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("published_version__stat")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is not None else fieldsets[:-1]  # a new question has no statistics yet

    def get_urls(self):
        check = self.admin_site.admin_view(self.prediction_check_view)
        return [path("prediction-check/", check, name="analytics_prediction_check"), *super().get_urls()]

    def prediction_check_view(self, request):
        """予測の検証: per exam, how the pass probabilities held against members' real results, predicted before
        the real date (analytics.calibration.prediction_check), with the standard and the calibration behind them."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        exams = []
        for exam in Exam.objects.order_by("pk"):
            check = calibration.prediction_check(exam)
            exams.append(
                {
                    "exam": exam,
                    "check": check,
                    "chart": check["count"]
                    and charts.reliability_diagram(check["reliability"], title=_("予測と実際（%s）") % exam.name),
                    "standard": PassStandard.objects.filter(exam=exam).first(),
                    "items": calibration.calibration_counts(exam),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("予測の検証"),
            "exams": exams,
            "opts": self.model._meta,
            "min_results": calibration.MIN_RESULTS,
            "min_responses": calibration.MIN_RESPONSES,
        }
        return TemplateResponse(request, "admin/analytics/prediction_check.html", context)

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
        return _decimal(getattr(self._stat(obj), "discrimination", None))

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
                    _decimal(stat.discrimination if stat else None),
                    shares,
                    _flags(stat.flags if stat else None),
                )
            )
        head = format_html(
            '<tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th></tr>',
            _("版"),
            _("解答数"),
            _("正答率"),
            _("識別力（点双列相関）"),
            _("選択率（著者の順、◯が正解）"),
            _("要確認"),
        )
        body = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td class="number">{}</td><td class="number">{}</td><td class="number">{}</td>'
            "<td>{}</td><td>{}</td></tr>",
            rows,
        )
        return format_html(
            '<table class="stat-table"><thead>{}</thead><tbody>{}</tbody></table><p>{}</p>{}',
            head,
            body,
            self._irt_line(obj),
            _stat_glossary(),
        )

    def _irt_line(self, obj) -> str:
        irt = ItemParameters.objects.filter(question=obj).first()
        if irt is None:
            return _("項目パラメータ: まだ推定していません（作成者の難易度を使います）。")
        text = _(
            "項目パラメータ（全版の初回解答から）: "
            "識別力 a = %(a).2f、困難度 b = %(b).2f、当て推量 c = %(c).2f、初回解答 %(n)s 件"
        ) % {
            "a": irt.discrimination,
            "b": irt.difficulty,
            "c": irt.guessing,
            "n": irt.responses,
        }
        if irt.provisional:
            text += _("（暫定: 解答が少ないため作成者の難易度に寄せた推定です）")
        return text


@admin.register(ItemStat)
class ItemStatAdmin(admin.ModelAdmin):
    """Every published version's statistics, worst discrimination first; each row names its question and links
    to the question's page, where the statistics panel and the text are side by side."""

    change_list_template = "admin/analytics/itemstat/change_list.html"  # what the figures mean, above the list
    list_display = (
        "question",
        "version_number",
        "responses",
        "facility_rate",
        "discrimination_index",
        "flag_labels",
        "counted_at",
    )
    list_display_links = None
    list_filter = (SuspectFilter, ("version__question__exam", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("version__question",)
    search_fields = ("version__question__external_id", "version__question__stem")
    ordering = ("discrimination",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("問題（外部ID・問題文）"), ordering="version__question__external_id")
    def question(self, stat):
        question = stat.version.question
        stem = " ".join(stat.version.stem.split())
        return format_html(
            '<a href="{}">{}</a><span class="stat-stem">{}</span>',
            reverse("admin:questions_question_change", args=[question.pk]),
            question.external_id,
            stem[:60] + ("…" if len(stem) > 60 else ""),
        )

    @admin.display(description=_("版"), ordering="version__number")
    def version_number(self, stat):
        return f"v{stat.version.number}"

    @admin.display(description=_("正答率"), ordering="facility")
    def facility_rate(self, stat):
        return _pct(stat.facility)

    @admin.display(description=_("識別力"), ordering="discrimination")
    def discrimination_index(self, stat):
        return _decimal(stat.discrimination)

    @admin.display(description=_("要確認"))
    def flag_labels(self, stat):
        return _flags(stat.flags) or "—"

    @admin.display(description=_("集計日時"), ordering="updated_at")
    def counted_at(self, stat):
        return date_format(timezone.localtime(stat.updated_at), "Y年n月j日 H:i")


@admin.register(ItemParameters)
class ItemParametersAdmin(admin.ModelAdmin):
    """Written by the nightly calibration only; read here."""

    list_display = ("question", "a", "b", "c", "responses", "provisional", "fitted_at")
    list_filter = ("provisional", "question__exam")
    list_select_related = ("question",)
    search_fields = ("question__external_id",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("識別力 a"), ordering="discrimination")
    def a(self, params):
        return _decimal(params.discrimination)

    @admin.display(description=_("困難度 b"), ordering="difficulty")
    def b(self, params):
        return _decimal(params.difficulty)

    @admin.display(description=_("当て推量 c"), ordering="guessing")
    def c(self, params):
        return _decimal(params.guessing)


@admin.register(PassStandard)
class PassStandardAdmin(admin.ModelAdmin):
    list_display = ("exam", "source", "cut", "tau", "results", "fitted_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
