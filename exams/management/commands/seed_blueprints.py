"""The default blueprints. Quotas per top-level area are Moshi's reading of each area's weight in
the syllabus (JDLA publishes no per-area counts); they add up to each form's question count."""

from django.core.management.base import BaseCommand
from django.db import transaction

from exams.models import Blueprint, BlueprintQuota
from questions.models import Exam, SyllabusArea

G_FULL = {"G1": 6, "G2": 14, "G3": 22, "G4": 22, "G5": 28, "G6": 36, "G7": 12, "G8": 10, "G9": 24, "G10": 26}
G_HALF = {"G1": 3, "G2": 7, "G3": 11, "G4": 11, "G5": 14, "G6": 18, "G7": 6, "G8": 5, "G9": 12, "G10": 13}
E_FULL = {"E1": 12, "E2": 18, "E3": 36, "E4": 28, "E5": 6}
GENAI = {"A1": 8, "A2": 4, "A3": 8}

DEFAULTS = [
    # slug, exam, name, minutes, count, quotas, options
    ("g-kentei-full", "g_kentei", "G検定 本番形式", 120, 200, G_FULL, {}),
    ("g-kentei-half", "g_kentei", "G検定 ハーフ", 60, 100, G_HALF, {}),
    ("e-shikaku-full", "e_shikaku", "E資格 本番形式", 120, 100, E_FULL, {"requires_framework": True}),
    ("genai-test", "genai_test", "生成AIテスト形式", 20, 20, GENAI, {}),
    ("g-kentei-drill", "g_kentei", "G検定 分野別ドリル", 0, 0, {}, {"is_drill": True, "seconds_per_question": 36}),
    # E資格: 120 min for 100 questions; the framework is chosen for a drill too.
    (
        "e-shikaku-drill",
        "e_shikaku",
        "E資格 分野別ドリル",
        0,
        0,
        {},
        {"is_drill": True, "seconds_per_question": 72, "requires_framework": True},
    ),
    ("genai-drill", "genai_test", "生成AIテスト ドリル", 0, 0, {}, {"is_drill": True, "seconds_per_question": 60}),
]


class Command(BaseCommand):
    help = "Create or update the default blueprints (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        areas = {a.code: a for a in SyllabusArea.objects.filter(parent__isnull=True)}
        for order, (slug, exam_code, name, minutes, count, quotas, options) in enumerate(DEFAULTS):
            assert sum(quotas.values()) == count, slug
            blueprint, _ = Blueprint.objects.update_or_create(
                slug=slug,
                defaults={
                    "exam": Exam.objects.get(code=exam_code),
                    "name": name,
                    "minutes": minutes,
                    "question_count": count,
                    "order": order,
                    **options,
                },
            )
            for code, n in quotas.items():
                BlueprintQuota.objects.update_or_create(blueprint=blueprint, area=areas[code], defaults={"count": n})
            blueprint.quotas.exclude(area__code__in=list(quotas)).delete()
        self.stdout.write(f"Blueprints: {len(DEFAULTS)} ready")
