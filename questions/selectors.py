"""Reads of the question bank shared by admin, commands and the exam app."""

from collections import defaultdict

from django.db.models import Count

from .bankfile import ChoiceRow, QuestionRow
from .cues import CueFigures, cue_figures
from .models import Exam, Question, QuestionEvent, SyllabusArea, VersionChoice

THIN = 10  # a leaf area with fewer published questions cannot fill a drill of its own


def published_questions():
    """Questions candidates can be given: a live version and not retired."""
    return Question.objects.filter(published_version__isnull=False).exclude(status=Question.Status.RETIRED)


def published_cue_figures() -> dict[str, CueFigures]:
    """The cue figures (questions.cues) of each exam's live versions, as candidates see them. Two queries."""
    questions = {
        q["published_version_id"]: q
        for q in published_questions().values(
            "published_version_id", "exam__code", "published_version__kind", "published_version__stem"
        )
    }
    choices: dict[int, list[ChoiceRow]] = defaultdict(list)
    for version_id, text, correct in (
        VersionChoice.objects.filter(version_id__in=questions)
        .order_by("version_id", "order")
        .values_list("version_id", "text", "is_correct")
    ):
        choices[version_id].append(ChoiceRow(text, correct))
    rows = [
        QuestionRow(
            external_id="",
            exam=q["exam__code"],
            area="",
            kind=q["published_version__kind"],
            difficulty=3,
            keywords=[],
            framework="",
            stem=q["published_version__stem"],
            choices=choices[vid],
            explanation="",
        )
        for vid, q in questions.items()
    ]
    return cue_figures(rows)


def bank_report() -> list[dict]:
    """Published question counts per exam and per area (leaf and top level), per framework for E資格, and the
    cue figures. Four queries whatever the size of the bank."""
    areas = list(SyllabusArea.objects.select_related("exam").order_by("exam__order", "order"))
    counts = published_questions().values("area_id", "framework").annotate(n=Count("id")).order_by()
    by_area: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in counts:
        by_area[row["area_id"]][row["framework"]] += row["n"]

    cues = published_cue_figures()
    report = []
    for exam in Exam.objects.order_by("order"):
        exam_areas = [a for a in areas if a.exam_id == exam.pk]
        rows = []
        for area in exam_areas:
            if area.is_leaf:
                fw = dict(by_area[area.pk])
            else:
                prefix = area.code + "."
                fw = defaultdict(int)
                for leaf in exam_areas:
                    if leaf.is_leaf and leaf.code.startswith(prefix):
                        for k, v in by_area[leaf.pk].items():
                            fw[k] += v
                fw = dict(fw)
            rows.append(
                {
                    "code": area.code,
                    "name": area.name,
                    "leaf": area.is_leaf,
                    "in_syllabus": area.in_syllabus,
                    "published": sum(fw.values()),
                    "by_framework": fw if exam.has_frameworks else None,
                }
            )
        leaves = [r for r in rows if r["leaf"]]
        total = {}
        for r in leaves:
            for k, v in (r["by_framework"] or {}).items():
                total[k] = total.get(k, 0) + v
        report.append(
            {
                "exam": exam.code,
                "name": exam.name,
                "published": sum(r["published"] for r in leaves),
                "by_framework": total if exam.has_frameworks else None,
                "leaf_areas": len(leaves),
                "thin_leaf_areas": [r["code"] for r in leaves if r["published"] < THIN and r["in_syllabus"]],
                "areas": rows,
                "cues": _cue_summary(cues.get(exam.code)),
            }
        )
    return report


def question_status_counts() -> dict[str, int]:
    return dict(Question.objects.values_list("status").annotate(n=Count("id")).order_by())


def _cue_summary(f: CueFigures | None) -> dict | None:
    if f is None:
        return None
    return {
        "single_answer": f.single,
        "key_longest": round(f.key_longest, 4),
        "key_mean_length": round(f.key_mean_length, 1),
        "distractor_mean_length": round(f.distractor_mean_length, 1),
        "length_ratio": round(f.length_ratio, 3),
        "key_absolute": round(f.key_absolute, 4),
        "distractor_absolute": round(f.distractor_absolute, 4),
        "key_hedge": round(f.key_hedge, 4),
        "distractor_hedge": round(f.distractor_hedge, 4),
        "chance": round(f.chance, 4),
        "habits": {name: round(score, 4) for name, score in sorted(f.habits.items(), key=lambda kv: -kv[1])},
        "best_habit": f.best_habit[0],
        "guesser_gain": round(f.guesser_gain, 4),
        "problems": f.problems(),
    }


def question_history(question: Question) -> list[QuestionEvent]:
    """A question's events, oldest first, with who did each and the version it concerned. One query."""
    return list(question.events.select_related("by", "version").order_by("at", "pk"))


def open_send_back(question: Question, history: list[QuestionEvent]) -> QuestionEvent | None:
    """The reviewer's send-back the author has still to answer: the latest one, while the question is a draft
    that has not been sent for review again since."""
    if question.status != Question.Status.DRAFT:
        return None
    for event in reversed(history):
        if event.kind == QuestionEvent.Kind.SUBMITTED:
            return None
        if event.kind == QuestionEvent.Kind.SENT_BACK:
            return event
    return None
