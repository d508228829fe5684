"""The default blueprints. Quotas per top-level area are Moshi's reading of each area's weight in
the syllabus (JDLA publishes no per-area counts); they add up to each form's question count."""

from django.core.management.base import BaseCommand
from django.db import transaction

from exams.models import Blueprint, BlueprintQuota
from questions.models import Exam, SyllabusArea

# Questions per top-level area of the current G検定 form (about 145 questions: JDLA reports, docs/exams.md), in
# proportion to the former 200-question form's quotas, which follow the 2024 syllabus's coverage. JDLA publishes
# no per-area counts: these are Moshi's estimate.
G_2026 = {"G1": 4, "G2": 10, "G3": 16, "G4": 16, "G5": 20, "G6": 26, "G7": 9, "G8": 7, "G9": 18, "G10": 19}
G_HALF = {"G1": 2, "G2": 5, "G3": 8, "G4": 8, "G5": 10, "G6": 13, "G7": 5, "G8": 4, "G9": 9, "G10": 9}
G_2024 = {"G1": 6, "G2": 14, "G3": 22, "G4": 22, "G5": 28, "G6": 36, "G7": 12, "G8": 10, "G9": 24, "G10": 26}
E_FULL = {"E1": 12, "E2": 18, "E3": 36, "E4": 28, "E5": 6}
GENAI = {"A1": 8, "A2": 4, "A3": 8}
G_SECONDS = 41  # 100 minutes for 145 questions online

DEFAULTS = [
    # slug, exam, name, minutes, count, quotas, options
    ("g-kentei-online", "g_kentei", "G検定 本番形式（オンライン・145問・100分）", 100, 145, G_2026, {}),
    ("g-kentei-center", "g_kentei", "G検定 本番形式（テストセンター・145問・120分）", 120, 145, G_2026, {}),
    ("g-kentei-half", "g_kentei", "G検定 ハーフ（73問・50分）", 50, 73, G_HALF, {}),
    ("e-shikaku-full", "e_shikaku", "E資格 本番形式（100問・120分）", 120, 100, E_FULL, {"requires_framework": True}),
    ("genai-test", "genai_test", "生成AIテスト形式（20問・20分）", 20, 20, GENAI, {}),
    (
        "g-kentei-drill",
        "g_kentei",
        "G検定 分野別ドリル",
        0,
        0,
        {},
        {"is_drill": True, "seconds_per_question": G_SECONDS},
    ),
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
    # The form of the sessions up to 2024 (about 200 questions in 120 minutes), kept for comparison with old results.
    ("g-kentei-full", "g_kentei", "G検定 旧形式（2024年まで・200問・120分）", 120, 200, G_2024, {}),
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
