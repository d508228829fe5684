import difflib
import itertools

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from .bankfile import ChoiceRow, choice_problems
from .models import Exam, Question, QuestionVersion, Stimulus, SyllabusArea
from .presenting import question_html
from .rendering import render_markdown
from .resources import QuestionResource
from .selectors import bank_report
from .services import (
    PUBLISH_PERMISSION,
    question_after_edit,
    question_publish,
    question_retire,
    question_submit_for_review,
)


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "order")


@admin.register(SyllabusArea)
class SyllabusAreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "exam", "is_leaf", "optional", "report_area", "in_syllabus")
    list_filter = ("exam", "is_leaf", "in_syllabus")
    list_select_related = ("exam",)
    search_fields = ("code", "name")
    ordering = ("exam__order", "order")


@admin.register(Stimulus)
class StimulusAdmin(admin.ModelAdmin):
    list_display = ("external_id", "title", "exam")
    list_select_related = ("exam",)
    search_fields = ("external_id", "title", "body")


class ChoiceFormSet(BaseInlineFormSet):
    """The choice rules (count, duplicates, number of correct answers) checked before anything is saved."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [
            ChoiceRow(f.cleaned_data.get("text", ""), f.cleaned_data.get("is_correct", False))
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        problems = choice_problems(self.instance.kind, rows)
        if problems:
            raise ValidationError(problems)


class ChoiceInline(admin.TabularInline):
    from .models import Choice as model

    formset = ChoiceFormSet
    extra = 0
    min_num = 2
    fields = ("order", "text", "is_correct")


@admin.register(Question)
class QuestionAdmin(ImportExportModelAdmin):
    resource_classes = [QuestionResource]
    list_display = (
        "external_id", "stem_excerpt", "exam", "area", "status", "difficulty", "framework", "kind", "live_version",
    )  # fmt: skip
    list_filter = ("exam", "status", "difficulty", "framework", "kind", ("area", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("exam", "area", "published_version")
    search_fields = ("external_id", "stem", "keywords")
    list_per_page = 50
    autocomplete_fields = ("stimulus",)
    readonly_fields = ("status", "published_version", "created_by", "created_at", "updated_at", "author_links")
    inlines = [ChoiceInline]
    actions = ("submit_for_review", "publish", "retire")
    fieldsets = (
        (None, {"fields": ("author_links", "external_id", "exam", "area", "status", "published_version")}),
        (_("内容（作業中の版）"), {"fields": ("kind", "stimulus", "stem", "explanation")}),
        (_("分類"), {"fields": ("difficulty", "framework", "keywords")}),
        (_("記録"), {"fields": ("created_by", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("exam", "area", "published_version")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            kwargs["queryset"] = SyllabusArea.objects.filter(is_leaf=True).select_related("exam")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("問題文"))
    def stem_excerpt(self, obj):
        return obj.stem[:50] + ("…" if len(obj.stem) > 50 else "")

    @admin.display(description=_("公開中の版"))
    def live_version(self, obj):
        return f"v{obj.published_version.number}" if obj.published_version_id else "—"

    @admin.display(description=_("確認"))
    def author_links(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}" target="_blank">{}</a> · <a href="{}">{}</a>',
            reverse("admin:questions_question_preview", args=[obj.pk]),
            _("受験者と同じ表示でプレビュー"),
            reverse("admin:questions_question_history_diff", args=[obj.pk]),
            _("版の履歴と差分"),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        question_after_edit(question=form.instance)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(PUBLISH_PERMISSION):
            actions.pop("publish", None)
            actions.pop("retire", None)
        return actions

    @admin.action(description=_("選択した問題をレビューに回す"))
    def submit_for_review(self, request, queryset):
        for question in queryset:
            question_submit_for_review(question=question, user=request.user)
        self.message_user(request, _("レビューに回しました。"), messages.SUCCESS)

    @admin.action(description=_("選択した問題を公開する（新しい版を作成）"), permissions=["publish"])
    def publish(self, request, queryset):
        published, failed = 0, []
        for question in queryset.select_related("exam", "area"):
            try:
                question_publish(question=question, user=request.user)
                published += 1
            except ValidationError as exc:
                failed.append(f"{question.external_id}: {'; '.join(exc.messages)}")
        if published:
            self.message_user(request, _("%(n)d 問を公開しました。") % {"n": published}, messages.SUCCESS)
        for failure in failed:
            self.message_user(request, _("公開できません: ") + failure, messages.ERROR)

    @admin.action(description=_("選択した問題を廃止する（版は保持）"), permissions=["publish"])
    def retire(self, request, queryset):
        for question in queryset:
            question_retire(question=question, user=request.user)
        self.message_user(request, _("廃止しました。過去の受験結果はそのまま残ります。"), messages.SUCCESS)

    def has_publish_permission(self, request):
        return request.user.has_perm(PUBLISH_PERMISSION)

    def get_urls(self):
        own = [
            path("<int:pk>/preview/", self.admin_site.admin_view(self.preview_view), name="questions_question_preview"),
            path(
                "<int:pk>/versions/",
                self.admin_site.admin_view(self.history_diff_view),
                name="questions_question_history_diff",
            ),
            path("bank-report/", self.admin_site.admin_view(self.bank_report_view), name="questions_bank_report"),
        ]
        return own + super().get_urls()

    def _question_for(self, request, pk):
        question = get_object_or_404(Question.objects.select_related("exam", "area", "stimulus"), pk=pk)
        if not self.has_view_or_change_permission(request, question):
            raise PermissionDenied
        return question

    def preview_view(self, request, pk):
        """The working copy exactly as the exam screen shows it (same template and styles)."""
        question = self._question_for(request, pk)
        choices = [{"html": render_markdown(c.text), "is_correct": c.is_correct} for c in question.choices.all()]
        item_html = question_html(
            number=1,
            kind=question.kind,
            area_name=question.area.name,
            stimulus_html=render_markdown(question.stimulus.body) if question.stimulus_id else "",
            stem_html=render_markdown(question.stem),
            choices_html=[c["html"] for c in choices],
            disabled=True,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("プレビュー: %(id)s") % {"id": question.external_id},
            "question": question,
            "item_html": item_html,
            "choices": choices,
            "explanation_html": render_markdown(question.explanation),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/questions/question/preview.html", context)

    def history_diff_view(self, request, pk):
        question = self._question_for(request, pk)
        versions = list(QuestionVersion.objects.filter(question=question).prefetch_related("choices"))
        texts = [
            (
                f"v{v.number}",
                _version_text(v.kind, v.stem, [(c.text, c.is_correct) for c in v.choices.all()], v.explanation),
            )
            for v in versions
        ]
        working = _version_text(
            question.kind,
            question.stem,
            [(c.text, c.is_correct) for c in question.choices.all()],
            question.explanation,
        )
        if not texts or texts[-1][1] != working:
            texts.append((str(_("作業中")), working))
        diffs = [
            {
                "old": old_name,
                "new": new_name,
                "lines": list(
                    difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=2)
                ),
            }
            for (old_name, old), (new_name, new) in itertools.pairwise(texts)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("版の履歴: %(id)s") % {"id": question.external_id},
            "question": question,
            "versions": versions,
            "diffs": list(reversed(diffs)),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/questions/question/history_diff.html", context)

    def bank_report_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("問題数レポート（公開中）"),
            "report": bank_report(),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/questions/question/bank_report.html", context)


def _version_text(kind: str, stem: str, choices: list[tuple[str, bool]], explanation: str) -> str:
    lines = [f"[{kind}]", stem.strip(), ""]
    lines += [f"{'◯' if correct else '　'} {i}. {text}" for i, (text, correct) in enumerate(choices, start=1)]
    return "\n".join([*lines, "", "解説:", explanation.strip()])
