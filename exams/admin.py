from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from common.http import parse_int
from questions.models import QuestionVersion
from questions.services import PUBLISH_PERMISSION

from . import regrade, services
from .models import Attempt, Blueprint, BlueprintQuota, KeyCorrection


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


class RegradeForm(forms.Form):
    """Step 2 of a regrade: the corrected key and why. The choices are the version's, in the author's order."""

    new_key = forms.TypedMultipleChoiceField(
        label=_("正しい正解"), coerce=int, widget=forms.CheckboxSelectMultiple, choices=()
    )
    reason = forms.CharField(label=_("訂正の理由（記録に残ります）"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, version: QuestionVersion, **kwargs):
        super().__init__(*args, **kwargs)
        choices = list(version.choices.order_by("order"))
        self.fields["new_key"].choices = [(c.pk, f"{n}. {c.text}") for n, c in enumerate(choices, start=1)]
        self.fields["new_key"].initial = [c.pk for c in choices if c.is_correct]


@admin.register(KeyCorrection)
class KeyCorrectionAdmin(admin.ModelAdmin):
    """Regrade: find the version, choose the corrected key, see the dry run, then apply. The records
    themselves are an audit trail and cannot be edited or deleted."""

    list_display = ("created_at", "version", "corrected_by", "attempts_rescored", "attempts_changed")
    list_select_related = ("version__question", "corrected_by")
    readonly_fields = [f.name for f in KeyCorrection._meta.fields]

    def has_add_permission(self, request):
        return request.user.has_perm(PUBLISH_PERMISSION)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        version, error = self._version_from(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("正解を訂正して再採点"),
        }
        if version is None:
            return TemplateResponse(request, "admin/exams/keycorrection/find.html", context | {"error": error})
        form = RegradeForm(request.POST or None, version=version)
        context |= {"version": version, "form": form}
        if request.method == "POST" and form.is_valid():
            new_key = set(form.cleaned_data["new_key"])
            if "apply" in request.POST:
                try:
                    correction = regrade.regrade_apply(
                        version=version, new_key=new_key, by=request.user, reason=form.cleaned_data["reason"]
                    )
                except services.ExamError as exc:
                    form.add_error(None, str(exc))
                else:
                    self.message_user(
                        request,
                        _("正解を訂正し、%(n)d 件の受験を再採点しました（得点が変わったのは %(c)d 件）。")
                        % {"n": correction.attempts_rescored, "c": correction.attempts_changed},
                        messages.SUCCESS,
                    )
                    return redirect("admin:exams_keycorrection_changelist")
            else:
                changes = regrade.regrade_preview(version=version, new_key=new_key)
                context |= {"changes": changes, "changed": [c for c in changes if c.old_correct != c.new_correct]}
        return TemplateResponse(request, "admin/exams/keycorrection/regrade.html", context)

    def _version_from(self, request) -> tuple[QuestionVersion | None, str]:
        external_id = (request.GET.get("question") or "").strip()
        if not external_id:
            return None, ""
        versions = QuestionVersion.objects.filter(question__external_id=external_id).select_related("question")
        number = parse_int(request.GET.get("number"), minimum=1, maximum=2**31 - 1)
        version = (versions.filter(number=number) if number else versions.order_by("-number")).first()
        return version, "" if version else _("その問題ID（と版）の公開版は見つかりません。")
