"""Study at scale: one person with 10,000 cards over a 10,000-question bank. Times picking today's set, counting and
drawing the due reviews, and a search over the 10,000 questions they have met (Japanese substrings), each as a
median over repeated runs. Run on PostgreSQL (the trigram indexes of study's migration 0002 serve the search):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/moshi_bench .venv/bin/python bench/study_bench.py

Loads its bank once (G検定, external ids bench-study-*) and reuses it on later runs."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchsetup  # noqa: F401  (Django on the configured database)
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from exams.models import Exposure
from questions.models import Exam, Question, QuestionVersion, SyllabusArea, VersionChoice
from study import selectors, services
from study.models import StudyCard, StudySession

WORDS = [
    "勾配消失",
    "過学習",
    "正則化",
    "畳み込み",
    "注意機構",
    "強化学習",
    "転移学習",
    "個人情報",
    "生成モデル",
    "バッチ正規化",
]
EMAIL = "bench-study@example.jp"


def load_bank(n: int) -> list[int]:
    """n published G検定 questions with four choices each, their stems and explanations built from WORDS."""
    existing = list(Question.objects.filter(external_id__startswith="bench-study-").values_list("pk", flat=True))
    if len(existing) >= n:
        return existing[:n]
    rng = random.Random(1)
    exam = Exam.objects.get(code="g_kentei")
    leaves = list(SyllabusArea.objects.filter(exam=exam, in_syllabus=True, parent__isnull=False))
    with transaction.atomic():
        questions = Question.objects.bulk_create(
            Question(
                external_id=f"bench-study-{i}",
                exam=exam,
                area=rng.choice(leaves),
                stem=f"{rng.choice(WORDS)}に関する次の記述のうち、最も適切なものを1つ選べ（{i}）",
                explanation=f"{rng.choice(WORDS)}と{rng.choice(WORDS)}の関係を押さえる。" * 3,
                keywords=rng.sample(WORDS, 2),
                status=Question.Status.PUBLISHED,
            )
            for i in range(len(existing), n)
        )
        versions = QuestionVersion.objects.bulk_create(
            QuestionVersion(
                question=q,
                number=1,
                kind="single",
                stem=q.stem,
                explanation=q.explanation,
                stem_html=f"<p>{q.stem}</p>",
                explanation_html=f"<p>{q.explanation}</p>",
                content_hash=f"bench-{q.pk}",
                published_at=timezone.now(),
            )
            for q in questions
        )
        VersionChoice.objects.bulk_create(
            VersionChoice(version=v, order=k, text_html=f"<p>選択肢{k}</p>", is_correct=k == 0)
            for v in versions
            for k in range(4)
        )
        for q, v in zip(questions, versions, strict=True):
            q.published_version = v
        Question.objects.bulk_update(questions, ["published_version"], batch_size=2000)
    return existing + [q.pk for q in questions]


def load_person(question_ids: list[int]) -> User:
    """A person who has met every question, with a card for each (a tenth of them due now)."""
    user, _ = User.objects.get_or_create(email=EMAIL, defaults={"display_name": "bench"})
    now = timezone.now()
    if StudyCard.objects.filter(user=user).count() < len(question_ids):
        rng = random.Random(2)
        StudyCard.objects.filter(user=user).delete()
        StudyCard.objects.bulk_create(
            StudyCard(
                user=user,
                question_id=qid,
                state=2,
                step=None,
                stability=rng.uniform(1, 60),
                difficulty=rng.uniform(1, 9),
                due=now + timedelta(days=rng.uniform(-3, 27)),
                last_review=now - timedelta(days=rng.uniform(1, 30)),
                reviews=rng.randint(1, 8),
            )
            for qid in question_ids
        )
        Exposure.objects.bulk_create(
            [Exposure(user=user, question_id=qid, first_at=now - timedelta(days=40)) for qid in question_ids],
            ignore_conflicts=True,
        )
    return user


def median_ms(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("note: not PostgreSQL — figures are not comparable (no trigram indexes)")
    started = time.perf_counter()
    ids = load_bank(args.questions)
    user = load_person(ids)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    exam = Exam.objects.get(code="g_kentei")
    cards = StudyCard.objects.filter(user=user).count()
    print(f"loaded {len(ids):,} questions and {cards:,} cards in {time.perf_counter() - started:.1f} s")

    def todays_set():
        StudySession.objects.filter(user=user, kind="today").delete()
        services.todays_set(user=user, exam=exam)

    def due_reviews():
        selectors.due_by_exam(user=user)
        StudySession.objects.filter(user=user, kind="review").delete()
        services.review_start(user=user, exam=exam)

    words = iter(WORDS * args.repeat)
    print(f"today's set (10 of 10,000 cards):            median {median_ms(todays_set, args.repeat):7.1f} ms")
    print(f"due reviews (count per exam + draw 50):      median {median_ms(due_reviews, args.repeat):7.1f} ms")
    print(
        "search over the questions met (one word):    median "
        f"{median_ms(lambda: selectors.search(user=user, query=next(words)), args.repeat):7.1f} ms"
    )
    print(
        "search, two words (AND):                     median "
        f"{median_ms(lambda: selectors.search(user=user, query='勾配消失 正則化'), args.repeat):7.1f} ms"
    )


if __name__ == "__main__":
    main()
