"""Exam-taking views: thin wrappers over exams.services (writes) and exams.selectors (reads)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import StartForm
from .models import Attempt, Blueprint
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
