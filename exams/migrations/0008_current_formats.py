from django.db import migrations

# The default blueprints as of this migration (a copy: seed_blueprints may change later, a migration must not).
# The G検定 form changed to about 145 questions (100 minutes online, 120 at a test centre; docs/exams.md); the
# former 200-question form stays, labelled with its period. Past attempts keep their own questions, counts and
# deadlines, so their results do not change.
G_2026 = {"G1": 4, "G2": 10, "G3": 16, "G4": 16, "G5": 20, "G6": 26, "G7": 9, "G8": 7, "G9": 18, "G10": 19}
G_HALF = {"G1": 2, "G2": 5, "G3": 8, "G4": 8, "G5": 10, "G6": 13, "G7": 5, "G8": 4, "G9": 9, "G10": 9}
FORMS = [
    ("g-kentei-online", "g_kentei", "G検定 本番形式（オンライン・145問・100分）", 100, 145, G_2026, {}),
    ("g-kentei-center", "g_kentei", "G検定 本番形式（テストセンター・145問・120分）", 120, 145, G_2026, {}),
    ("g-kentei-half", "g_kentei", "G検定 ハーフ（73問・50分）", 50, 73, G_HALF, {}),
    ("e-shikaku-full", "e_shikaku", "E資格 本番形式（100問・120分）", 120, 100, None, {}),
    ("genai-test", "genai_test", "生成AIテスト形式（20問・20分）", 20, 20, None, {}),
    ("g-kentei-drill", "g_kentei", "G検定 分野別ドリル", 0, 0, None, {"seconds_per_question": 41}),
    ("e-shikaku-drill", "e_shikaku", "E資格 分野別ドリル", 0, 0, None, {}),
    ("genai-drill", "genai_test", "生成AIテスト ドリル", 0, 0, None, {}),
    ("g-kentei-full", "g_kentei", "G検定 旧形式（2024年まで・200問・120分）", 120, 200, None, {}),
]


def current_formats(apps, schema_editor):
    Blueprint = apps.get_model("exams", "Blueprint")
    BlueprintQuota = apps.get_model("exams", "BlueprintQuota")
    Exam = apps.get_model("questions", "Exam")
    SyllabusArea = apps.get_model("questions", "SyllabusArea")
    if not Blueprint.objects.filter(slug="g-kentei-full").exists():
        return  # a fresh database: seed_blueprints creates the current forms
    areas = {a.code: a for a in SyllabusArea.objects.filter(parent__isnull=True)}
    for order, (slug, exam_code, name, minutes, count, quotas, options) in enumerate(FORMS):
        exam = Exam.objects.filter(code=exam_code).first()
        if exam is None:
            continue
        blueprint, _ = Blueprint.objects.update_or_create(
            slug=slug,
            defaults={
                "exam": exam,
                "name": name,
                "minutes": minutes,
                "question_count": count,
                "order": order,
                **options,
            },
        )
        if quotas:
            for code, n in quotas.items():
                BlueprintQuota.objects.update_or_create(blueprint=blueprint, area=areas[code], defaults={"count": n})
            blueprint.quotas.exclude(area__code__in=list(quotas)).delete()


class Migration(migrations.Migration):
    dependencies = [("exams", "0007_company_models_move_keyhold_feedcursor"), ("questions", "0003_question_events")]

    operations = [migrations.RunPython(current_formats, migrations.RunPython.noop)]
