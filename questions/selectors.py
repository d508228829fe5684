"""Reads of the question bank shared by admin, commands and the exam app."""

from collections import defaultdict

from django.db.models import Count

from .models import Exam, Question, SyllabusArea


def published_questions():
    """Questions candidates can be given: a live version and not retired."""
    return Question.objects.filter(published_version__isnull=False).exclude(status=Question.Status.RETIRED)


def bank_report() -> list[dict]:
    """Published question counts per exam and per area (leaf and top level), and per framework for E資格.
    Two queries whatever the size of the bank."""
    areas = list(SyllabusArea.objects.select_related("exam").order_by("exam__order", "order"))
    counts = published_questions().values("area_id", "framework").annotate(n=Count("id")).order_by()
    by_area: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in counts:
        by_area[row["area_id"]][row["framework"]] += row["n"]

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
                "thin_leaf_areas": [r["code"] for r in leaves if r["published"] < 3 and r["in_syllabus"]],
                "areas": rows,
            }
        )
    return report


def question_status_counts() -> dict[str, int]:
    return dict(Question.objects.values_list("status").annotate(n=Count("id")).order_by())
