import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams.models import Attempt, AttemptItem, Blueprint, BlueprintQuota
from exams.services import attempt_start
from questions.models import Exam, SyllabusArea
from tests.exams.conftest import four
from tests.factories import key_positions, make_question

pytestmark = pytest.mark.django_db


def save(client, attempt, position, selected, seq, flagged=False):
    return client.post(
        reverse("exams:attempt_save", args=[attempt.pk]),
        json.dumps({"position": position, "selected": selected, "flagged": flagged, "seq": seq}),
        content_type="application/json",
    )


def g4_blueprint(slug: str, count: int) -> Blueprint:
    bp = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name=slug, slug=slug, minutes=120, question_count=count
    )
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G4"), count=count)
    return bp


def test_blueprint_list_hides_blueprints_of_other_organizations(client, candidate, g_blueprint, organization):
    private = Blueprint.objects.create(
        exam=g_blueprint.exam, name="社内限定模試", slug="private", minutes=10, question_count=5
    )
    private.organizations.add(organization)
    client.force_login(candidate)
    page = client.get(reverse("exams:blueprint_list")).content.decode()
    assert "mini" in page and "社内限定模試" not in page
    assert client.get(reverse("exams:start", args=["private"])).status_code == 403
    assert client.post(reverse("exams:start", args=["private"])).status_code == 403
    assert not Attempt.objects.exists()


def test_e_shikaku_asks_for_the_framework_first_and_never_changes_it(client, candidate, e_blueprint):
    client.force_login(candidate)
    url = reverse("exams:start", args=[e_blueprint.slug])
    page = client.get(url).content.decode()
    assert 'value="pytorch"' in page and 'value="tensorflow"' in page
    missing = client.post(url, {})
    assert missing.status_code == 400 and not Attempt.objects.exists()

    started = client.post(url, {"framework": "pytorch"})
    attempt = Attempt.objects.get()
    assert started.status_code == 200 and started["Content-Location"] == reverse("exams:attempt", args=[attempt.pk])
    assert attempt.framework == "pytorch"

    page = client.get(url).content.decode()
    assert "再開" in page and 'value="tensorflow"' not in page  # no second choice while it is open
    again = client.post(url, {"framework": "tensorflow"})  # resumes the open attempt
    assert again["Content-Location"] == started["Content-Location"]
    assert Attempt.objects.get().framework == "pytorch"


def test_a_short_bank_is_explained_on_the_start_page(client, candidate, g_blueprint):
    BlueprintQuota.objects.filter(blueprint=g_blueprint, area__code="G3").update(count=9)
    client.force_login(candidate)
    response = client.post(reverse("exams:start", args=[g_blueprint.slug]))
    assert response.status_code == 409
    page = response.content.decode()
    assert "この模擬試験は問題を準備中のため" in page and "問題バンク" not in page  # a learner's words
    assert not Attempt.objects.exists()


def test_a_drill_starts_over_the_chosen_areas_and_keeps_input_on_error(client, candidate, g_blueprint):
    drill = Blueprint.objects.create(
        exam=g_blueprint.exam, name="ドリル", slug="drill", minutes=0, question_count=0, is_drill=True
    )
    client.force_login(candidate)
    url = reverse("exams:start", args=[drill.slug])
    bad = client.post(url, {"areas": ["G3"], "count": "500"})
    assert bad.status_code == 400 and 'value="500"' in bad.content.decode()
    client.post(url, {"areas": ["G3"], "count": "3"})
    attempt = Attempt.objects.get()
    assert attempt.question_count == 3
    assert set(attempt.items.values_list("area__code", flat=True)) <= {"G3.4"}
    assert attempt.deadline - attempt.started_at == timedelta(seconds=3 * 36)


def test_a_drill_on_a_thin_area_starts_with_what_there_is_and_says_so(client, candidate, g_blueprint):
    """The report's 「この分野をドリルで復習する」 must always start something (issue 3/8 item 5)."""
    drill = Blueprint.objects.create(
        exam=g_blueprint.exam,
        name="ドリル",
        slug="drill",
        minutes=0,
        question_count=0,
        is_drill=True,
        seconds_per_question=41,
    )
    client.force_login(candidate)
    response = client.post(reverse("exams:start", args=[drill.slug]), {"areas": ["G3.4"], "count": "20"}, follow=True)
    attempt = Attempt.objects.get()
    assert attempt.question_count == 4  # G3.4 has 4 published questions in this bank
    assert attempt.deadline - attempt.started_at == timedelta(seconds=4 * 41)
    assert "4 問で始めます" in response.content.decode()


def test_autosave_endpoint_answers_with_clear_statuses(client, candidate, other_candidate, g_blueprint):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    assert save(client, attempt, 1, [0], 1).status_code == 401  # not logged in: JSON, not a login redirect

    client.force_login(candidate)
    ok = save(client, attempt, 1, [2], 5, flagged=True)
    assert ok.status_code == 200 and ok.json()["saved"] is True and abs(ok.json()["now"] / 1000 - time_now()) < 5
    stale = save(client, attempt, 1, [0], 4)
    assert stale.status_code == 200 and stale.json()["stale"] and stale.json()["seq"] == 5
    assert save(client, attempt, 1, [7], 6).status_code == 400
    assert save(client, attempt, 99, [0], 7).status_code == 404
    garbage = client.post(reverse("exams:attempt_save", args=[attempt.pk]), "{", content_type="application/json")
    assert garbage.status_code == 400 and "error" in garbage.json()
    assert client.get(reverse("exams:attempt_save", args=[attempt.pk])).status_code == 405
    item = attempt.items.get(position=1)
    assert (item.selected, item.flagged, item.client_seq) == ([2], True, 5)

    client.force_login(other_candidate)
    assert save(client, attempt, 1, [0], 9).status_code == 404

    client.force_login(candidate)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    late = save(client, attempt, 1, [1], 10)
    assert late.status_code == 409 and "試験時間が終了" in late.json()["error"]
    assert attempt.items.get(position=1).selected == [2]


def time_now() -> float:
    return timezone.now().timestamp()


def test_exam_page_renders_every_question_and_the_saved_state(client, candidate, g_blueprint):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    AttemptItem.objects.filter(attempt=attempt, position=2).update(selected=[1], flagged=True, client_seq=3)
    client.force_login(candidate)
    response = client.get(reverse("exams:attempt", args=[attempt.pk]))
    assert "no-store" in response["Cache-Control"]  # Back must not restore old answers and sequence numbers
    page = response.content.decode()
    assert page.count('class="exam-q"') == 5
    assert re.search(r'name="q2" value="1" checked', page)
    config = json.loads(re.search(r'<script id="exam-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["total"] == 5 and config["state"][1] == [[1], True, 3]
    assert config["deadline"] == int(attempt.deadline.timestamp() * 1000)


def test_other_peoples_attempts_are_not_found(client, candidate, other_candidate, g_blueprint):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    client.force_login(other_candidate)
    assert client.get(reverse("exams:attempt", args=[attempt.pk])).status_code == 404
    assert client.post(reverse("exams:attempt_submit", args=[attempt.pk])).status_code == 404
    assert client.get(reverse("analytics:attempt_result", args=[attempt.pk])).status_code == 404
    assert Attempt.objects.get().status == Attempt.Status.OPEN


def test_submit_scores_and_the_result_shows_answers_keys_and_explanations(
    client, candidate, g_blueprint, django_capture_on_commit_callbacks
):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    client.force_login(candidate)
    result_url = reverse("analytics:attempt_result", args=[attempt.pk])
    assert client.get(result_url).url == reverse("exams:attempt", args=[attempt.pk])  # open: back to the exam

    first = attempt.items.get(position=1)
    key_position = key_positions(first)[0]
    save(client, attempt, 1, [key_position], 1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("exams:attempt_submit", args=[attempt.pk]))
    assert response.url == result_url
    scoring = client.get(result_url).content.decode()
    assert "採点中" in scoring and 'http-equiv="refresh"' in scoring
    # It reloads after 2–4 s, then backs off (with jitter) so a whole exam room does not reload in step.
    seconds, following = map(int, re.search(r'content="(\d+); url=\?wait=(\d+)"', scoring).groups())
    assert 2 <= seconds <= 4 and following == 1
    later = client.get(result_url, {"wait": 6}).content.decode()
    assert 14 <= int(re.search(r'content="(\d+);', later).group(1)) <= 17
    for callback in callbacks:
        callback()

    page = client.get(result_url).content.decode()
    assert "1 / 5" in page and "合格ライン未到達" in page
    assert page.count("あなたの解答") == 1 and page.count("（正解）") == 5
    assert first.version.explanation_html in page
    assert client.get(reverse("exams:attempt", args=[attempt.pk])).url == result_url


def test_opening_an_expired_attempt_submits_it(client, candidate, g_blueprint, django_capture_on_commit_callbacks):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    client.force_login(candidate)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("exams:attempt", args=[attempt.pk]))
    assert response.url == reverse("analytics:attempt_result", args=[attempt.pk])
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SCORED and attempt.submitted_by == Attempt.SubmittedBy.TIMER


def test_query_counts_do_not_grow_with_the_number_of_questions(
    client, candidate, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    for i in range(220):  # two open attempts never share a question
        make_question(external_id=f"q-{i}", area="G4.2", choices=four(i))
    small = attempt_start(user=candidate, blueprint=g4_blueprint("twenty", 20))
    large = attempt_start(user=candidate, blueprint=g4_blueprint("two-hundred", 200))
    client.force_login(candidate)

    def count(url, method="get", **kwargs):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = getattr(client, method)(url, **kwargs)
        assert response.status_code < 400
        return len(ctx.captured_queries)

    page_small = count(reverse("exams:attempt", args=[small.pk]))
    assert page_small == count(reverse("exams:attempt", args=[large.pk]))
    with django_assert_max_num_queries(4):
        assert save(client, large, 200, [1], 1).json()["saved"]
    with django_assert_max_num_queries(4):
        assert save(client, large, 200, [1], 1).json()["stale"]  # the refusal path reads once more
    with django_capture_on_commit_callbacks(execute=True):  # scoring runs after the counted request
        submit_small = count(reverse("exams:attempt_submit", args=[small.pk]), "post")
    with django_capture_on_commit_callbacks(execute=True):
        submit_large = count(reverse("exams:attempt_submit", args=[large.pk]), "post")
    assert submit_small == submit_large
    assert Attempt.objects.filter(status=Attempt.Status.SCORED).count() == 2
    assert count(reverse("analytics:attempt_result", args=[small.pk])) == count(
        reverse("analytics:attempt_result", args=[large.pk])
    )
    assert page_small <= 8


def test_the_exam_page_speaks_english_when_asked(client, candidate, g_blueprint):
    attempt = attempt_start(user=candidate, blueprint=g_blueprint)
    client.force_login(candidate)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("exams:attempt", args=[attempt.pk])).content.decode()
    config = json.loads(re.search(r'<script id="exam-config" type="application/json">(.*?)</script>', page).group(1))
    assert "Mark for review" in page and "Question 1" in page
    assert config["text"]["saved"] == "Saved" and "{n}" in config["text"]["behind"]


def test_a_whole_area_chosen_with_some_of_its_leaves_is_the_whole_area(g_blueprint):
    from exams.forms import StartForm
    from exams.selectors import drill_areas

    drill = Blueprint.objects.create(
        exam=g_blueprint.exam, name="ドリル2", slug="drill2", minutes=0, question_count=0, is_drill=True
    )
    form = StartForm({"areas": ["G4", "G4.2", "G3.4"], "count": 5}, blueprint=drill, areas=drill_areas(blueprint=drill))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["areas"] == ["G4", "G3.4"]
