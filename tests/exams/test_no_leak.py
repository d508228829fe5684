"""Before submit, nothing the candidate's browser receives may give the key away."""

import json
import re
from html import unescape

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from exams.models import Attempt, AttemptItem, Blueprint, BlueprintQuota
from questions.models import Exam, SyllabusArea, VersionChoice
from tests.factories import make_question

pytestmark = pytest.mark.django_db

QUESTIONS = 40


@pytest.fixture
def bank():
    # As authors often do, the key is written first; explanations are easy to spot.
    for i in range(QUESTIONS):
        make_question(
            external_id=f"leak-{i}",
            area="G4.2",
            stem=f"設問{i}について、適切なものを選んでください。",
            choices=[
                (f"選択肢{i}-甲", True),
                (f"選択肢{i}-乙", False),
                (f"選択肢{i}-丙", False),
                (f"選択肢{i}-丁", False),
            ],
            explanation=f"ヒミツの根拠{i}：甲が適切である理由",
        )
    bp = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name="漏洩チェック", slug="leak", minutes=30, question_count=QUESTIONS
    )
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G4"), count=QUESTIONS)
    return bp


def test_nothing_before_submit_reveals_the_key(client, candidate, bank):
    client.force_login(candidate)
    responses = [
        client.get(reverse("home")),
        client.get(reverse("exams:blueprint_list")),
        client.get(reverse("exams:start", args=[bank.slug])),
    ]
    start = client.post(reverse("exams:start", args=[bank.slug]))
    attempt = Attempt.objects.get()
    page = client.get(start["Content-Location"])  # the start answered with the page; this is a reload
    responses += [start, page]
    for position in range(1, QUESTIONS + 1):
        responses.append(
            client.post(
                reverse("exams:attempt_save", args=[attempt.pk]),
                json.dumps({"position": position, "selected": [position % 4], "flagged": False, "seq": position}),
                content_type="application/json",
            )
        )
    assert all(r.status_code in (200, 302) for r in responses)
    static = "".join(open(finders.find(p), encoding="utf-8").read() for p in ("js/exam.js", "css/exam.css"))
    bodies = [unescape(r.content.decode()) for r in responses] + [static]

    for body in bodies:
        for i in range(QUESTIONS):
            assert f"ヒミツの根拠{i}" not in body  # no explanation
        assert not re.search(r"correct|正解|解説|is_key", body, re.IGNORECASE)  # no correctness field or marker

    html = page.content.decode()
    items = AttemptItem.objects.filter(attempt=attempt).order_by("position")
    key_ids = set(VersionChoice.objects.filter(is_correct=True).values_list("pk", flat=True))
    key_first = 0
    for item in items:
        # Choices are valued by screen position only: no id a client could compare with the author's order.
        values = re.findall(rf'name="q{item.position}" value="([^"]*)"', html)
        assert values == [str(n) for n in range(4)]
        key_first += item.choice_order[0] in key_ids
    # The key was written first by the author, but the screen order is shuffled per attempt.
    assert key_first < QUESTIONS / 2
    shown = re.findall(r'<span class="choice-text"><p>選択肢(\d+)-(.)</p>', html)
    assert len(shown) == QUESTIONS * 4
    assert sum(letter == "甲" for n, (_, letter) in enumerate(shown) if n % 4 == 0) == key_first
