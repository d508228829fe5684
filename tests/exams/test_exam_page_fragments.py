"""The start and the exam page on exam day's budget: queries that do not grow with the number of questions, and a
page joined from per-version fragments that is byte for byte what question_html renders, never of a stale or
another version."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts.models import User
from exams import fragments, selectors, services
from exams import pool as exam_pool
from exams.models import AttemptItem, Blueprint, BlueprintQuota
from exams.presenting import exam_sections_html
from questions.models import Exam, Question, SyllabusArea, VersionChoice
from questions.presenting import Labels, question_html
from questions.services import question_publish
from tests.factories import make_question

pytestmark = pytest.mark.django_db


def _blueprint(slug: str, count: int) -> Blueprint:
    bp = Blueprint.objects.create(
        exam=Exam.objects.get(code="g_kentei"), name=slug, slug=slug, minutes=30, question_count=count
    )
    BlueprintQuota.objects.create(blueprint=bp, area=SyllabusArea.objects.get(code="G4"), count=count)
    return bp


@pytest.fixture
def bank():
    for i in range(40):
        make_question(
            external_id=f"frag-{i}",
            area="G4.2" if i % 2 else "G4.1",
            kind="multiple" if i % 5 == 0 else "single",
            stem=f"設問{i} <b>&</b>",
            choices=[(f"甲{i}", True), (f"乙{i}", i % 5 == 0), (f"丙{i}", False), (f"丁{i}", False)],
        )
    return _blueprint("frag-small", 5), _blueprint("frag-large", 40)


def _start_and_page(client, user, bp):
    client.force_login(user)
    with CaptureQueriesContext(connection) as post:
        response = client.post(reverse("exams:start", args=[bp.slug]))
    assert response.status_code == 200  # the start answers with the exam page
    with CaptureQueriesContext(connection) as page:  # a reload, at the attempt's address
        assert client.get(response["Content-Location"]).status_code == 200
    return len(post), len(page)


@pytest.mark.parametrize("cold", [False, True])
def test_start_and_page_queries_do_not_grow_with_the_questions(client, bank, cold, django_assert_max_num_queries):
    small, large = bank
    counts = []
    if not cold:  # a worker that has served a start: the exam's pool is in memory
        _start_and_page(client, User.objects.create_user(email="warm@example.com", password="x"), small)
    for i, bp in enumerate((small, large)):
        if cold:  # a fresh worker with an empty cache builds the fragments: still a fixed number of queries
            fragments.clear_local()
            exam_pool.forget()
            cache.clear()
        user = User.objects.create_user(email=f"q{i}@example.com", password="x")
        counts.append(_start_and_page(client, user, bp))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(22):
        client.post(reverse("exams:start", args=[large.slug]))  # resuming the open attempt


def _old_sections(attempt) -> str:
    """The page as it was built before fragments: question_html per item from the version rows."""
    labels = Labels.current()
    items = list(AttemptItem.objects.filter(attempt=attempt).select_related("version", "area").order_by("position"))
    html = dict(VersionChoice.objects.values_list("pk", "text_html"))
    out, last = [], len(items)
    for item in items:
        n = item.position
        question = question_html(
            number=n,
            kind=item.version.kind,
            area_name=item.area.name,
            stem_html=item.version.stem_html,
            stimulus_html=item.version.stimulus_html,
            choices_html=[html[c] for c in item.choice_order],
            selected=item.selected,
            labels=labels,
        )
        prev, flag, next_ = escape(_("前へ")), escape(_("見直しマーク")), escape(_("次へ"))
        out.append(
            f'<section class="exam-q" id="q{n}" data-n="{n}" aria-labelledby="q{n}-title">{question}'
            f'<div class="q-actions">'
            f'<button type="button" class="button secondary" data-action="prev"{" disabled" if n == 1 else ""}>'
            f"← {prev}</button>"
            f'<button type="button" class="button secondary flag" data-action="flag" '
            f'aria-pressed="{"true" if item.flagged else "false"}" aria-keyshortcuts="f">⚑ {flag}</button>'
            f'<button type="button" class="button secondary" data-action="next"{" disabled" if n == last else ""}>'
            f"{next_} →</button></div></section>"
        )
    return "".join(out)


def test_the_page_joined_from_fragments_is_what_question_html_renders(bank, candidate):
    _, large = bank
    attempt = services.attempt_start(user=candidate, blueprint=large)
    for position, selected in ((1, [0]), (2, [1]), (5, [0, 1])):
        item = AttemptItem.objects.get(attempt=attempt, position=position)
        if len(selected) > 1 and not item.multiple:
            selected = [1]
        services.answer_save(
            user=candidate, attempt_id=attempt.pk, position=position, selected=selected, flagged=True, seq=1
        )
    for warm in (False, True):  # built from the database, then from memory
        assert str(exam_sections_html(selectors.exam_items(attempt=attempt))) == _old_sections(attempt), warm
    assert "checked" in _old_sections(attempt)


def test_a_new_version_gets_its_own_fragment_and_an_open_attempt_keeps_its_own(bank, candidate, other_candidate):
    _, large = bank
    first = services.attempt_start(user=candidate, blueprint=large)
    services.attempt_submit(attempt=first)  # its questions may be drawn again by the next attempt
    question = Question.objects.get(external_id="frag-3")
    old_version = question.published_version
    assert "設問3 " in str(exam_sections_html(selectors.exam_items(attempt=first)))  # built and kept
    question.stem = "書き直した設問3"
    question.save()
    question.choices.filter(order=0).update(text="書き直した甲3")
    new_version = question_publish(question=question, by=None, via="command")
    assert new_version.pk != old_version.pk

    second = services.attempt_start(user=other_candidate, blueprint=large)
    new_page = str(exam_sections_html(selectors.exam_items(attempt=second)))
    old_page = str(exam_sections_html(selectors.exam_items(attempt=first)))
    assert "書き直した設問3" in new_page and "書き直した甲3" in new_page
    assert "書き直した" not in old_page  # the first attempt still shows the version it was given
    assert "設問3 " in old_page


def test_fragments_carry_no_key(bank, candidate):
    """A key correction changes a version's key in place; the fragment never held it, so nothing to refresh."""
    _, large = bank
    attempt = services.attempt_start(user=candidate, blueprint=large)
    items = selectors.exam_items(attempt=attempt)
    for item in items:
        assert not hasattr(item.fragment, "key")
        assert "is_correct" not in repr(item.fragment)
        assert sorted(item.choice_order) == sorted(item.fragment.choice_ids)


def test_a_fragment_is_never_served_for_a_rebuilt_database_s_same_id(bank, candidate):
    """Ids repeat where a database is rebuilt while the shared cache lives on: the key holds the publishing
    moment, so another version under the same id is built afresh."""
    _, large = bank
    attempt = services.attempt_start(user=candidate, blueprint=large)
    item = AttemptItem.objects.filter(attempt=attempt).select_related("version").first()
    impostor = fragments.VersionFragment(kind="single", choice_ids=(1, 2), choices_html=("偽", "物"), body="偽物")
    other_moment = item.version.published_at.replace(year=2000)
    key = fragments._key(item.version_id, other_moment, "ja")
    cache.set(key, impostor)
    fragments._local[key] = impostor
    got = fragments.version_fragments([(item.version_id, item.version.published_at)])[item.version_id]
    assert got.body != "偽物" and set(got.choice_ids) == set(item.choice_order)


def test_the_start_answers_with_the_page_a_reload_shows(client, bank, candidate):
    """The start POST renders the exam from the items it just drew, without reading them back: that page must be
    byte for byte the one a reload (a GET of its Content-Location) builds from the database, and never cached."""
    _small, large = bank
    client.force_login(candidate)
    started = client.post(reverse("exams:start", args=[large.slug]))
    attempt = selectors.attempt_of(user=candidate, attempt_id=int(started["Content-Location"].split("/")[-2]))
    assert started.status_code == 200 and started["Content-Location"] == reverse("exams:attempt", args=[attempt.pk])
    assert "no-store" in started["Cache-Control"]
    reload = client.get(started["Content-Location"])
    assert "no-store" in reload["Cache-Control"]

    def sections(response) -> str:
        html = response.content.decode()
        return html[html.index('<div class="exam-main">') : html.index('<nav class="navigator"')]

    assert sections(started) == sections(reload)
    assert started.content.decode().count('class="exam-q"') == 40
    assert f'"pageUrl": "{started["Content-Location"]}"' in started.content.decode()
