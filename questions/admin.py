import difflib
import itertools

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from .forms import ChoiceForm, ChoiceFormSet, QuestionAdminForm, leaf_areas
from .models import Choice, Exam, Question, QuestionVersion, Stimulus, SyllabusArea
from .presenting import question_html
from .rendering import render_markdown
from .resources import QuestionResource
from .selectors import bank_report, open_send_back, question_history
from .services import (
    PUBLISH_PERMISSION,
    Via,
    may_comment,
    may_publish,
    may_review,
    question_after_edit,
    question_comment,
    question_publish,
    question_retire,
    question_send_back,
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


class ChoiceInline(admin.TabularInline):
    model = Choice
    form = ChoiceForm
    formset = ChoiceFormSet
    min_num = 2
    fields = ("order", "text", "is_correct")

    def get_extra(self, request, obj=None, **kwargs):
        # JDLA's exams give four choices: a new question starts with four rows, two of them required; an author
        # adds rows or leaves the last ones empty for other shapes.
        return 4 - self.min_num if obj is None else 0


@admin.register(Question)
class QuestionAdmin(ImportExportModelAdmin):
    form = QuestionAdminForm
    resource_classes = [QuestionResource]
    # The base import-export wraps: it adds its import and export buttons to the tools this one adds.
    change_list_template = "admin/questions/question/change_list.html"
    change_form_template = "admin/questions/question/change_form.html"
    list_display = (
        "external_id",
        "stem_excerpt",
        "exam",
        "area",
        "status",
        "difficulty",
        "framework",
        "kind",
        "live_version",
    )
    list_filter = ("exam", "status", "difficulty", "framework", "kind", ("area", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("exam", "area", "published_version")
    search_fields = ("external_id", "stem", "keywords")
    list_per_page = 50
    autocomplete_fields = ("stimulus",)
    readonly_fields = ("status", "live_version", "created_by", "created_at", "updated_at", "author_links")
    inlines = [ChoiceInline]
    actions = ("submit_for_review", "publish", "retire")
    fieldsets = (
        (None, {"fields": ("author_links", "external_id", "exam", "area", "status", "live_version")}),
        (_("内容（作業中の版）"), {"fields": ("kind", "stimulus", "stem")}),
        (_("解説"), {"fields": ("explanation",)}),
        (_("分類"), {"fields": ("difficulty", "framework", "keywords")}),
        (_("記録"), {"fields": ("created_by", "created_at", "updated_at"), "classes": ("collapse",)}),
    )
    # The choices come right after the stem, as on the exam screen (change_form.html puts them there).
    fieldsets_before_choices = 2

    class Media:
        js = ("js/admin-question.js",)  # keyword chips, areas of the chosen exam, choice row names

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # nothing to preview or compare yet
            head, *rest = self.fieldsets
            fields = tuple(f for f in head[1]["fields"] if f != "author_links")
            return ((head[0], {**head[1], "fields": fields}), *rest)
        return self.fieldsets

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("exam", "area", "published_version")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            kwargs["queryset"] = leaf_areas()
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
            question_submit_for_review(question=question, by=request.user, via=Via.ADMIN_ACTION)
        self.message_user(request, _("レビューに回しました。"), messages.SUCCESS)

    @admin.action(description=_("選択した問題を公開する（新しい版を作成）"), permissions=["publish"])
    def publish(self, request, queryset):
        published, failed = 0, []
        for question in queryset.select_related("exam", "area"):
            try:
                question_publish(question=question, by=request.user, via=Via.ADMIN_ACTION)
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
            question_retire(question=question, by=request.user, via=Via.ADMIN_ACTION)
        self.message_user(request, _("廃止しました。過去の受験結果はそのまま残ります。"), messages.SUCCESS)

    def has_publish_permission(self, request):
        return request.user.has_perm(PUBLISH_PERMISSION)

    def get_urls(self):
        def view(method):
            return self.admin_site.admin_view(method)

        own = [
            path("<int:pk>/preview/", view(self.preview_view), name="questions_question_preview"),
            path("preview/", view(self.draft_preview_view), name="questions_question_draft_preview"),
            path("<int:pk>/preview/draft/", view(self.draft_preview_view), name="questions_question_draft_preview"),
            path("<int:pk>/review/", view(self.review_view), name="questions_question_review"),
            path("<int:pk>/versions/", view(self.history_diff_view), name="questions_question_history_diff"),
            path("bank-report/", view(self.bank_report_view), name="questions_bank_report"),
        ]
        return own + super().get_urls()

    def _question_for(self, request, pk):
        question = get_object_or_404(Question.objects.select_related("exam", "area", "stimulus"), pk=pk)
        if not self.has_view_or_change_permission(request, question):
            raise PermissionDenied
        return question

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        question = obj if obj is not None and obj.pk else None
        context["fieldsets_before_choices"] = self.fieldsets_before_choices
        context["draft_preview_url"] = (
            reverse("admin:questions_question_draft_preview", args=[question.pk])
            if question
            else reverse("admin:questions_question_draft_preview")
        )
        if question:
            history = question_history(question)
            context["review"] = {
                "history": history,
                "open_send_back": open_send_back(question, history),
                "url": reverse("admin:questions_question_review", args=[question.pk]),
                "may_comment": may_comment(request.user),
                "may_review": may_review(request.user) and question.status == Question.Status.IN_REVIEW,
                "may_submit": question.status == Question.Status.DRAFT
                and self.has_change_permission(request, question),
                "may_publish": may_publish(request.user, Via.ADMIN_REVIEW)
                and question.status in (Question.Status.DRAFT, Question.Status.IN_REVIEW),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def preview_view(self, request, pk):
        """The saved working copy exactly as the exam screen shows it (same template and styles)."""
        question = self._question_for(request, pk)
        choices = [(c.text, c.is_correct) for c in question.choices.all()]
        title = _("プレビュー: %(id)s") % {"id": question.external_id}
        return self._preview_response(request, question, choices, title=title)

    def draft_preview_view(self, request, pk=None):
        """What the form holds now, unsaved, as the exam screen would show it: the form's 「プレビュー」 button
        posts here (in a window of its own, so the form and everything typed in it stay). Nothing is saved;
        what would stop the save is listed above the preview."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        question = self._question_for(request, pk) if pk else None
        allowed = self.has_change_permission(request, question) if question else self.has_add_permission(request)
        if not allowed:
            raise PermissionDenied
        form = self.get_form(request, question, change=question is not None)(request.POST, instance=question)
        form.is_valid()
        draft = form.instance  # the valid fields applied in memory, never saved
        formsets, _inlines = self._create_formsets(request, draft, change=question is not None)
        problems = _form_problems(form)
        choices = []
        for formset in formsets:
            formset.is_valid()
            problems += [str(e) for e in formset.non_form_errors()]
            for position, choice_form in enumerate(formset.forms):
                problems += _form_problems(choice_form, prefix=_("選択肢%(n)s") % {"n": position + 1})
                data = getattr(choice_form, "cleaned_data", None) or {}
                if data.get("text", "").strip() and not data.get("DELETE"):
                    choices.append((data.get("order") or 0, position, data["text"], data.get("is_correct", False)))
        title = _("プレビュー（保存前）: %(id)s") % {"id": draft.external_id or _("新しい問題")}
        return self._preview_response(
            request, draft, [(text, correct) for *_order, text, correct in sorted(choices)], title, problems
        )

    def _preview_response(self, request, question, choices, title, problems=()):
        choices_html = [render_markdown(text) for text, _correct in choices]
        item_html = question_html(
            number=1,
            kind=question.kind,
            area_name=question.area.name if question.area_id else "—",
            stimulus_html=render_markdown(question.stimulus.body) if question.stimulus_id else "",
            stem_html=render_markdown(question.stem),
            choices_html=choices_html,
            disabled=True,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "question": question,
            "saved": question.pk is not None and request.method == "GET",
            "problems": problems,
            "item_html": item_html,
            "keys": [(n, choices_html[n - 1]) for n, (_text, correct) in enumerate(choices, start=1) if correct],
            "explanation_html": render_markdown(question.explanation),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/questions/question/preview.html", context)

    def review_view(self, request, pk):
        """The review form on a question's page: a comment, a send-back to the author, a new request for review,
        or publishing. Who may do what is decided by questions.services (PermissionDenied becomes a 403)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        question = self._question_for(request, pk)
        comment = request.POST.get("comment", "").strip()
        decision = request.POST.get("decision")
        try:
            if decision == "send_back":
                question_send_back(question=question, by=request.user, comment=comment)
                self.message_user(request, _("差し戻しました。著者の画面にコメントが表示されます。"), messages.SUCCESS)
            elif decision == "comment":
                question_comment(question=question, by=request.user, comment=comment)
                self.message_user(request, _("コメントを記録しました。"), messages.SUCCESS)
            elif decision == "submit":
                if not self.has_change_permission(request, question):
                    raise PermissionDenied
                if question_submit_for_review(question=question, by=request.user, via=Via.ADMIN_REVIEW, note=comment):
                    self.message_user(request, _("レビューに回しました。"), messages.SUCCESS)
                else:
                    self.message_user(request, _("下書きの問題だけをレビューに回せます。"), messages.WARNING)
            elif decision == "publish":
                if not may_publish(request.user, Via.ADMIN_REVIEW):
                    raise PermissionDenied  # before the comment is recorded: a refused publish leaves no trace
                if comment:
                    question_comment(question=question, by=request.user, comment=comment)
                version = question_publish(question=question, by=request.user, via=Via.ADMIN_REVIEW)
                self.message_user(request, _("v%(n)s として公開しました。") % {"n": version.number}, messages.SUCCESS)
            else:
                return HttpResponseBadRequest()
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:questions_question_change", args=[question.pk]) + "#review")

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
            "events": list(reversed(question_history(question))),
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


def _form_problems(form, prefix="") -> list[str]:
    """A form's errors as lines an author can act on: "問題文（Markdown）: このフィールドは必須です。"."""
    lines = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        where = " ".join(str(part) for part in (prefix, label) if part)
        lines += [f"{where}: {error}" if where else str(error) for error in errors]
    return lines


def _version_text(kind: str, stem: str, choices: list[tuple[str, bool]], explanation: str) -> str:
    lines = [f"[{kind}]", stem.strip(), ""]
    lines += [f"{'◯' if correct else '　'} {i}. {text}" for i, (text, correct) in enumerate(choices, start=1)]
    return "\n".join([*lines, "", "解説:", explanation.strip()])
