"""Data for the drills' private database, made in a subprocess pointed at it:
`python -m tests.faults.seed N` prints JSON with the logins and blueprint slugs.

Small on purpose: a 5-question form, a drill whose questions last one second each, N candidates
sharing one password hash (hashing N passwords would take longer than the drills themselves)."""

import json
import os
import sys


def seed(candidates: int) -> dict:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from exams.models import Blueprint, BlueprintQuota
    from questions.models import Exam, SyllabusArea
    from tests.factories import PASSWORD, make_question

    for i in range(6):
        choices = [(f"正解{i}", True), (f"誤り{i}a", False), (f"誤り{i}b", False), (f"誤り{i}c", False)]
        make_question(external_id=f"faults-g4-{i}", area="G4.2", choices=choices)
    for i in range(4):
        choices = [(f"正解{i}", True), (f"誤り{i}a", False), (f"誤り{i}b", False)]
        make_question(external_id=f"faults-g3-{i}", area="G3.4", choices=choices)
    exam = Exam.objects.get(code="g_kentei")
    mini = Blueprint.objects.create(
        exam=exam, name="faults mini", slug="faults-mini", minutes=30, question_count=5, shuffle_questions=False
    )
    BlueprintQuota.objects.create(blueprint=mini, area=SyllabusArea.objects.get(code="G4"), count=3)
    BlueprintQuota.objects.create(blueprint=mini, area=SyllabusArea.objects.get(code="G3"), count=2)
    Blueprint.objects.create(
        exam=exam,
        name="faults blink",
        slug="faults-blink",
        minutes=0,
        question_count=0,
        is_drill=True,
        seconds_per_question=1,
    )
    hashed = make_password(PASSWORD)
    emails = [f"cand{n:03d}@faults.example" for n in range(candidates)]
    User.objects.bulk_create(User(email=e, display_name=f"受験者{n}", password=hashed) for n, e in enumerate(emails))
    return {"emails": emails, "password": PASSWORD, "mini": mini.slug, "blink": "faults-blink", "blink_area": "G4"}


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.faults.settings")
    django.setup()
    print(json.dumps(seed(int(sys.argv[1]))))
