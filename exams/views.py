"""Exam-taking views: thin wrappers over exams.services (writes) and exams.selectors (reads)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.selectors import manager_membership, member_of

from . import selectors, services
from .forms import AssignmentForm, RealResultForm, StartForm
from .models import Attempt, Blueprint, RealResult
from .presenting import exam_sections_html, navigator_html


@login_required
def blueprint_list(request):
    open_attempts = selectors.open_attempts_by_blueprint(user=request.user)
    rows = [(bp, open_attempts.get(bp.pk)) for bp in selectors.blueprints_for(user=request.user)]
    return render(
        request,
        "exams/blueprint_list.html",
        {"rows": rows, "recent_attempts": selectors.recent_attempts(user=request.user)},
    )


@login_required
def blueprint_start(request, slug):
    blueprint = get_object_or_404(Blueprint.objects.select_related("exam"), slug=slug, is_active=True)
    if not services.blueprint_available_to(blueprint=blueprint, user=request.user):
        return render(request, "exams/unavailable.html", {"blueprint": blueprint}, status=403)
    open_attempt = Attempt.objects.filter(user=request.user, blueprint=blueprint, status=Attempt.Status.OPEN).first()
    areas = selectors.drill_areas(blueprint=blueprint) if blueprint.is_drill else []
    form = StartForm(request.POST if request.method == "POST" else None, blueprint=blueprint, areas=areas)
    status = 200
    if request.method == "POST" and (open_attempt or form.is_valid()):
        data = form.cleaned_data if not open_attempt else {}
        try:
            attempt = services.attempt_start(
                user=request.user,
                blueprint=blueprint,
                framework=data.get("framework", ""),
                drill_areas=data.get("areas"),
                drill_count=data.get("count") or 0,
            )
        except services.ExamError as exc:
            form.add_error(None, str(exc))
            status = exc.status
        else:
            return redirect("exams:attempt", attempt_id=attempt.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "exams/start.html",
        {"blueprint": blueprint, "form": form, "open_attempt": open_attempt},
        status=status,
    )


@never_cache  # a page restored from the browser's cache would carry old answers and sequence numbers
@login_required
def attempt_page(request, attempt_id):
    attempt = selectors.attempt_of(user=request.user, attempt_id=attempt_id)
    if attempt.status == Attempt.Status.OPEN and attempt.deadline <= timezone.now() - services.GRACE:
        services.attempt_submit(attempt=attempt, by=Attempt.SubmittedBy.TIMER)
        messages.info(request, _("試験時間が終了したため、解答を提出しました。"))
        attempt.status = Attempt.Status.SUBMITTED
    if attempt.status != Attempt.Status.OPEN:
        return redirect("analytics:attempt_result", attempt_id=attempt.pk)
    items = selectors.exam_items(attempt=attempt)
    config = {
        "attempt": attempt.pk,
        "saveUrl": reverse("exams:attempt_save", args=[attempt.pk]),
        "submitUrl": reverse("exams:attempt_submit", args=[attempt.pk]),
        "resultUrl": reverse("analytics:attempt_result", args=[attempt.pk]),
        "deadline": int(attempt.deadline.timestamp() * 1000),
        "started": int(attempt.started_at.timestamp() * 1000),
        "now": int(timezone.now().timestamp() * 1000),
        "graceMs": int(services.GRACE.total_seconds() * 1000),
        "total": len(items),
        "state": [[i.selected, i.flagged, i.client_seq] for i in items],
        "text": _js_text(),
    }
    context = {
        "attempt": attempt,
        "config": config,
        "sections_html": exam_sections_html(items),
        "navigator_html": navigator_html(items),
    }
    return render(request, "exams/attempt.html", context)


def _js_text() -> dict[str, str]:
    """The exam script's words, translated here so the script itself holds no language."""
    return {
        "saved": _("保存済み"),
        "saving": _("保存中…"),
        "unsaved": _("未保存（オフライン：再接続すると送信します）"),
        "relogin": _("未保存（ログインし直してください）"),
        "refused": _("保存できませんでした"),
        "closed": _("試験時間が終了しました。結果画面へ移動します。"),
        "warn10": _("残り10分です。"),
        "warn1": _("残り1分です。見直しマークの問題を確認してください。"),
        "timeUp": _("時間切れです。解答を提出しています…"),
        "onPace": _("予定どおり"),
        "behind": _("予定より{n}問遅れ"),
        "ahead": _("予定より{n}問先行"),
        "paceAt": _("目安: 第{n}問"),
        "confirm": _("解答を提出します。提出後は変更できません。よろしいですか？"),
        "confirmLeft": _("未解答が{n}問あります。提出してよろしいですか？"),
        "none": _("なし"),
        "question": _("第{n}問"),
        "answeredWord": _("解答済み"),
        "unansweredWord": _("未解答"),
        "flaggedWord": _("見直し"),
    }


@require_POST
def attempt_save(request, attempt_id):
    """Autosave: one small JSON request that updates one row. Answers 200 (saved or stale), 4xx with a
    message the page shows, never a redirect."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("ログインの有効期限が切れました。ログインし直してください。")}, status=401)
    try:
        body = json.loads(request.body)
        position, seq = int(body["position"]), int(body["seq"])
        result = services.answer_save(
            user=request.user,
            attempt_id=attempt_id,
            position=position,
            selected=body.get("selected", []),
            flagged=bool(body.get("flagged", False)),
            seq=seq,
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return JsonResponse({"error": _("送信内容が正しくありません。")}, status=400)
    except services.ExamError as exc:
        return JsonResponse({"error": str(exc)}, status=exc.status)
    now = int(timezone.now().timestamp() * 1000)
    return JsonResponse({"saved": result.saved, "stale": result.stale, "seq": result.seq, "now": now})


@login_required
@require_POST
def attempt_submit(request, attempt_id):
    attempt = selectors.attempt_of(user=request.user, attempt_id=attempt_id)
    by = Attempt.SubmittedBy.TIMER if request.POST.get("by") == "timer" else Attempt.SubmittedBy.CANDIDATE
    services.attempt_submit(attempt=attempt, by=by)
    result_url = reverse("analytics:attempt_result", args=[attempt.pk])
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"result": result_url})
    return redirect(result_url)


# --- Assignments (HR) and real exam results (members, or HR for them) ----------------------------------------


@login_required
def assignments(request):
    """HR: the organization's assignments with completion, and a form to add one."""
    membership = manager_membership(user=request.user)
    organization = membership.organization
    form = AssignmentForm(
        request.POST or None, organization=organization, blueprints=selectors.blueprints_for(user=request.user)
    )
    if request.method == "POST" and "delete" in request.POST:
        assignment = selectors.assignment_of(
            organization_id=organization.pk, assignment_id=_int(request.POST["delete"])
        )
        services.assignment_delete(assignment=assignment, by=request.user)
        messages.success(request, _("課題を削除しました。"))
        return redirect("exams:assignments")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.assignment_create(
                organization=organization, blueprint=data["blueprint"], due_on=data["due_on"],
                opens_on=data["opens_on"], departments=list(data["departments"]), members=data["people"],
                note=data["note"], by=request.user,
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("課題を登録しました。対象のメンバーのホームに表示されます。"))
            return redirect("exams:assignments")
    return render(request, "exams/assignments.html", {
        "user_membership": membership, "form": form,
        "assignments": selectors.assignments_of(organization_id=organization.pk),
    })  # fmt: skip


@login_required
def assignment_detail(request, assignment_id):
    """HR: who has done an assignment, who has not, and who did it late."""
    membership = manager_membership(user=request.user)
    assignment = selectors.assignment_of(organization_id=membership.organization_id, assignment_id=assignment_id)
    targets = selectors.assignment_targets(assignment=assignment)
    show = request.GET.get("show", "")
    if show == "pending":
        targets = targets.filter(done_at__isnull=True)
    page = Paginator(targets, 100).get_page(request.GET.get("page"))
    return render(request, "exams/assignment_detail.html", {
        "user_membership": membership, "assignment": assignment, "page": page, "show": show,
        "completion": selectors.assignments_of(organization_id=membership.organization_id, only=[assignment.pk])[0],
    })  # fmt: skip


@login_required
def real_results(request):
    """A member's real JDLA exam results. HR opens it with ?member=<membership id> to record for someone
    in their organization; any other id is a 404."""
    person, member = request.user, None
    if "member" in request.GET:
        manager = manager_membership(user=request.user)
        member = member_of(organization_id=manager.organization_id, membership_id=_int(request.GET["member"]))
        person = member.user
    form = RealResultForm(request.POST or None)
    if request.method == "POST" and "delete" in request.POST:
        result = get_object_or_404(RealResult, pk=_int(request.POST["delete"]), user=person)
        services.real_result_delete(result=result, by=request.user)
        messages.success(request, _("記録を削除しました。"))
        return redirect(request.get_full_path())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.real_result_record(
                user=person, exam=data["exam"], session=data["session"], taken_on=data["taken_on"],
                passed=data["passed"], by=request.user,
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("本番試験の結果を記録しました。"))
            return redirect(request.get_full_path())
    return render(request, "exams/real_results.html", {
        "form": form, "member": member, "person": person, "results": selectors.real_results_of(user=person),
    })  # fmt: skip


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None
