"""Exam-taking views: thin wrappers over exams.services (writes) and exams.selectors (reads)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.http import json_object, parse_int

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
    areas = selectors.drill_areas(blueprint=blueprint) if blueprint.is_drill else []
    if request.method == "POST":  # exam day's hot path: the service alone checks who may start or resume
        form = StartForm(request.POST, blueprint=blueprint, areas=areas)
        valid = form.is_valid()
        data = form.cleaned_data if valid else {}
        try:
            attempt = services.attempt_start(
                user=request.user,
                blueprint=blueprint,
                framework=data.get("framework", ""),
                drill_areas=data.get("areas"),
                drill_count=data.get("count") or 0,
                resume_only=not valid,
            )
        except services.NotAllowed:
            return render(request, "exams/unavailable.html", {"blueprint": blueprint}, status=403)
        except services.ExamError as exc:
            if valid:
                form.add_error(None, str(exc))
            status = exc.status if valid else 400
        else:
            if blueprint.is_drill and hasattr(attempt, "drawn_items"):  # drawn now, not resumed: say what it holds
                _say_what_the_drill_holds(request, attempt, data["areas"], data["count"])
            # The start answers with the exam page itself (no redirect and second request while thousands
            # start at once); the page's address is the attempt's, where a reload goes (Content-Location).
            return _exam_page(request, attempt)
        return render(request, "exams/start.html", {"blueprint": blueprint, "form": form}, status=status)
    if not services.blueprint_available_to(blueprint=blueprint, user=request.user):
        return render(request, "exams/unavailable.html", {"blueprint": blueprint}, status=403)
    form = StartForm(blueprint=blueprint, areas=areas)
    context = {"blueprint": blueprint, "form": form, "open_attempt": _open_attempt(request.user, blueprint)}
    return render(request, "exams/start.html", context)


def _open_attempt(user, blueprint):
    return Attempt.objects.filter(user=user, blueprint=blueprint, status=Attempt.Status.OPEN).first()


def _say_what_the_drill_holds(request, attempt, chosen: list[str], asked: int) -> None:
    """A drill starts with what there is: say so when it is fewer questions, or from wider areas, than chosen."""
    drawn = set(attempt.items.values_list("area__code", flat=True))
    if any(not any(code == c or code.startswith(c + ".") for c in chosen) for code in drawn):
        messages.info(
            request,
            _(
                "選んだ分野には今出題できる問題がないため、近い分野から %(n)d 問出題します"
                "（受験中の模擬試験の問題は、提出するまでドリルに出しません）。"
            )
            % {"n": attempt.question_count},
        )
    elif attempt.question_count < asked:
        messages.info(
            request,
            _("選んだ分野の問題は今 %(n)d 問なので、%(n)d 問で始めます（%(asked)d 問を指定）。")
            % {"n": attempt.question_count, "asked": asked},
        )


@login_required
def attempt_page(request, attempt_id):
    attempt = selectors.attempt_of(user=request.user, attempt_id=attempt_id)
    if attempt.status == Attempt.Status.OPEN and attempt.deadline <= timezone.now() - services.GRACE:
        services.attempt_submit(attempt=attempt, by=Attempt.SubmittedBy.TIMER)
        messages.info(request, _("試験時間が終了したため、解答を提出しました。"))
        attempt.status = Attempt.Status.SUBMITTED
    if attempt.status == Attempt.Status.ABANDONED:
        return redirect("exams:blueprint_list")
    if attempt.status != Attempt.Status.OPEN:
        return redirect("analytics:attempt_result", attempt_id=attempt.pk)
    return _exam_page(request, attempt)


def _exam_page(request, attempt):
    # A just-started attempt carries the items it drew (exams.services.attempt_start): no query for them.
    items = getattr(attempt, "drawn_items", None) or selectors.exam_items(attempt=attempt)
    page_url = reverse("exams:attempt", args=[attempt.pk])
    config = {
        "attempt": attempt.pk,
        "pageUrl": page_url,
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
        "user_membership": None,  # no organization link in the exam's header: one query less, nothing to leave for
    }
    response = render(request, "exams/attempt.html", context)
    response["Content-Location"] = page_url
    add_never_cache_headers(response)  # a page restored from the browser's cache would carry old answers
    return response


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
        "behind": _("{n}問遅れ"),
        "ahead": _("{n}問先行"),
        "paceStart": _("目安は1問{n}秒"),
        "paceDue": _("均等なペースなら今ごろ{n}問解答済み"),
        "paceYou": _("あなた{n}問"),
        "confirm": _("解答を提出します。提出後は変更できません。よろしいですか？"),
        "confirmLeft": _("未解答が{n}問あります。提出してよろしいですか？"),
        "question": _("第{n}問"),
        "answeredWord": _("解答済み"),
        "unansweredWord": _("未解答"),
        "flaggedWord": _("見直し"),
    }


MAX_POSITION = 10_000  # far above any form's length; a bound so no number reaches the database unchecked


@require_POST
def attempt_save(request, attempt_id):
    """Autosave: one small JSON request that updates one row. Answers 200 (saved or stale), 4xx with a
    message the page shows, never a redirect."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("ログインの有効期限が切れました。ログインし直してください。")}, status=401)
    try:
        body = json_object(request.body)
        position = parse_int(body.get("position"), minimum=1, maximum=MAX_POSITION)
        seq = parse_int(body.get("seq"))
        if position is None or seq is None:
            raise BadRequest("position and seq must be whole numbers in range")
        result = services.answer_save(
            user=request.user,
            attempt_id=attempt_id,
            position=position,
            selected=body.get("selected", []),
            flagged=bool(body.get("flagged", False)),
            seq=seq,
        )
    except BadRequest:
        return JsonResponse({"error": _("送信内容が正しくありません。")}, status=400)
    except services.ExamError as exc:
        return JsonResponse({"error": str(exc)}, status=exc.status)
    now = int(timezone.now().timestamp() * 1000)
    return JsonResponse({"saved": result.saved, "stale": result.stale, "seq": result.seq, "now": now})


@login_required
@require_POST
def attempt_submit(request, attempt_id):
    attempt = selectors.attempt_of(user=request.user, attempt_id=attempt_id)
    # Who submitted is the server's finding, not the request's: "by timer" only once the deadline has passed.
    by = Attempt.SubmittedBy.TIMER if attempt.deadline <= timezone.now() else Attempt.SubmittedBy.CANDIDATE
    services.attempt_submit(attempt=attempt, by=by)
    result_url = reverse("analytics:attempt_result", args=[attempt.pk])
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"result": result_url})
    return redirect(result_url)


@login_required
def attempt_abandon(request, attempt_id):
    """中断して破棄 (drills only): a page that asks first, then discards the drill."""
    attempt = selectors.attempt_of(user=request.user, attempt_id=attempt_id)
    if not attempt.blueprint.is_drill or attempt.status != Attempt.Status.OPEN:
        return redirect("exams:attempt", attempt_id=attempt.pk)
    if request.method == "POST":
        try:
            services.attempt_abandon(user=request.user, attempt_id=attempt.pk)
        except services.ExamError as exc:
            messages.error(request, str(exc))
            return redirect("exams:attempt", attempt_id=attempt.pk)
        messages.success(request, _("ドリルを破棄しました。結果は残りません。"))
        return redirect("exams:start", slug=attempt.blueprint.slug)
    answered = attempt.items.exclude(selected=[]).count()
    return render(request, "exams/abandon.html", {"attempt": attempt, "answered": answered})
