"""Study pages: start and take study sessions (the key right after each answer), today's set and reviews, the
notes page, the study log, the exam plan, search and the glossary. Each shows only the asker's own data."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from common.http import parse_int
from exams import services as exam_services
from exams.selectors import syllabus_areas
from hr.models import ExamSession
from questions.models import Exam, Question
from questions.presenting import question_html

from . import selectors, services
from .forms import NoteForm, StudyStartForm
from .models import StudySession

NOTES_PER_PAGE = 30


def _exam_from(request) -> tuple[Exam, list[Exam]]:
    """The exam asked for (else G検定), and every exam in order, for the page's tabs."""
    exams = list(Exam.objects.order_by("order"))
    wanted = request.GET.get("exam") or request.POST.get("exam") or Exam.G_KENTEI
    return next((e for e in exams if e.code == wanted), exams[0]), exams


@never_cache
@login_required
def study_home(request):
    """学習モード: choose and start a session; resume one; today's set and reviews; the plan."""
    exam, exams = _exam_from(request)
    form = StudyStartForm(
        request.POST or None, areas=syllabus_areas(exam_id=exam.pk), initial={"exam": exam, "source": "all"}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_start(
                user=request.user,
                exam=data["exam"],
                source=data["source"],
                area_codes=data["areas"],
                count=data["count"],
            )
        except services.StudyError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("study:session", session_id=session.pk)
    return render(
        request,
        "study/home.html",
        {
            "exam": exam,
            "exams": exams,
            "form": form,
            "open_sessions": selectors.open_sessions(user=request.user),
            "due": selectors.due_by_exam(user=request.user),
            "plan": selectors.plan_for(user=request.user),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def todays_set(request):
    return _start_session(request, services.todays_set)


@require_POST
@login_required
def review(request):
    return _start_session(request, services.review_start)


def _start_session(request, start):
    """Today's set and a review session start the same way: into the session, or home with why not."""
    exam, _exams = _exam_from(request)
    try:
        session = start(user=request.user, exam=exam)
    except services.StudyError as exc:
        messages.info(request, str(exc))
        return redirect(f"{reverse('study:home')}?exam={exam.code}")
    return redirect("study:session", session_id=session.pk)


@never_cache  # the page shows the key once answered: never from a cache
@login_required
def session_page(request, session_id):
    session = get_object_or_404(StudySession.objects.select_related("exam"), pk=session_id, user=request.user)
    if request.method == "POST":
        position = parse_int(request.POST.get("position"))
        try:
            if request.POST.get("action") == "next":
                services.session_next(user=request.user, session_id=session.pk, position=position)
            else:
                # The choices are the exam screen's inputs (questions.presenting): named q<number>, valued 0, 1, …
                picked = request.POST.getlist(f"q{(position or 0) + 1}")
                selected = [n for n in map(parse_int, picked) if n is not None]
                services.session_answer(user=request.user, session_id=session.pk, position=position, selected=selected)
        except exam_services.ExamError as exc:
            messages.error(request, str(exc))
        return redirect("study:session", session_id=session.pk)
    item = selectors.session_question(session=session)
    number = session.position + 1
    return render(
        request,
        "study/session.html",
        {
            "session": session,
            "item": item,
            "number": number,
            "question_html": item
            and not item.answered
            and question_html(
                number=number,
                kind=item.kind,
                area_name=item.area_name,
                stem_html=item.stem_html,
                stimulus_html=item.stimulus_html,
                choices_html=[c.html for c in item.choices],
            ),
        },
    )


@never_cache
@login_required
def notes_page(request):
    """マイノート: bookmarked and annotated questions, by exam and area."""
    exam_code = request.GET.get("exam", "")
    area = request.GET.get("area", "")
    rows = selectors.notes(
        user=request.user, exam_code=exam_code, area_code=area, bookmarked_only=request.GET.get("only") == "bookmarked"
    )
    page = Paginator(rows, NOTES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "study/notes.html",
        {"page": page, "exams": Exam.objects.order_by("order"), "exam_code": exam_code, "area": area},
    )


@require_POST
@login_required
def note_save(request, question_id):
    """Bookmark, unbookmark or write a note; back where the person was (a path on this site only)."""
    question = get_object_or_404(Question, pk=question_id)
    action = request.POST.get("action")
    try:
        if action in ("bookmark", "unbookmark"):
            exam_services.question_note_save(
                user=request.user, question_id=question.pk, bookmarked=action == "bookmark"
            )
        else:
            form = NoteForm(request.POST)
            if not form.is_valid():
                raise exam_services.ExamError(" ".join(e for errors in form.errors.values() for e in errors))
            exam_services.question_note_save(user=request.user, question_id=question.pk, text=form.cleaned_data["text"])
            messages.success(request, _("メモを保存しました。"))
    except exam_services.ExamError as exc:
        messages.error(request, str(exc))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("study:notes")
    return redirect(back)


@never_cache
@login_required
def log_page(request):
    return render(request, "study/log.html", {"log": selectors.study_log(user=request.user)})


@login_required
def plan_page(request):
    today = timezone.localdate()
    if request.method == "POST":
        session_id = parse_int(request.POST.get("session"))
        try:
            services.plan_set(user=request.user, session_id=session_id)
        except services.StudyError as exc:
            messages.error(request, str(exc))
        else:
            return redirect("study:home")
    sessions = ExamSession.objects.filter(held_on__gte=today).select_related("exam").order_by("held_on")
    return render(request, "study/plan.html", {"sessions": sessions, "plan": selectors.plan_for(user=request.user)})


@never_cache
@login_required
def search_page(request):
    query = request.GET.get("q", "").replace("\x00", "").strip()[: selectors.SEARCH_MAX]
    results = selectors.search(user=request.user, query=query) if query else []
    return render(request, "study/search.html", {"query": query, "results": results})


@login_required
def glossary_page(request):
    exam, exams = _exam_from(request)
    return render(
        request,
        "study/glossary.html",
        {"exam": exam, "exams": exams, "groups": selectors.glossary(exam=exam)},
    )


@never_cache
@login_required
def term_page(request):
    exam, _exams = _exam_from(request)
    term = request.GET.get("term", "").strip()[:100]
    if not term:
        raise Http404
    visible, more = selectors.term_questions(user=request.user, exam=exam, term=term)
    return render(request, "study/term.html", {"exam": exam, "term": term, "questions": visible, "more": more})
