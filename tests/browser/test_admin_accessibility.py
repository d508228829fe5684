"""axe-core on the admin pages authors use (issue 17 item 7): no critical or serious violation on the question list,
add and change forms, both previews, the history, the bank report, the item statistics and the prediction check,
on a desktop and on a phone."""

import pytest

from analytics.models import ItemStat
from questions.models import Question
from questions.services import Via, question_comment, question_submit_for_review
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in
from tests.factories import UserFactory, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bank():
    """Published questions with statistics, and one in review with a comment in its history."""
    for i, area in enumerate(["G4.2", "G3.4", "E3.1"]):
        question = make_question(
            external_id=f"a11y-{i}",
            area=area,
            stem=f"問題{i}: 次のコードの出力はどれですか。\n\n```python\nprint({i})\n```",
            choices=[(f"{i}", True), (f"{i + 1}", False), (f"{i + 2}", False), ("エラー", False)],
        )
        ItemStat.objects.create(
            version=question.published_version,
            responses=56,
            correct=34,
            facility=0.6071428571428571,
            discrimination=0.2345,
            flags=["too_hard"] if i == 0 else [],
        )
    draft = make_question(external_id="a11y-draft", publish=False)
    reviewer = UserFactory(is_staff=True, is_superuser=True, email="root@moshi.example")
    question_submit_for_review(question=draft, by=reviewer, via=Via.ADMIN_ACTION)
    question_comment(question=draft, by=reviewer, comment="選択肢の表記を揃えてください。")
    return reviewer


def draft_preview(page, base):
    """The preview of an unsaved form, opened by its 「プレビュー」 button in a window of its own."""
    page.goto(f"{base}/admin/questions/question/add/")
    page.fill("#id_stem", "保存前の問題文です。")
    page.fill("#id_choices-0-text", "正しい選択肢")
    with page.context.expect_page() as opened:
        page.click("button.preview-button")
    preview = opened.value
    preview.wait_for_selector(".exam-preview")
    return preview


PAGES = {
    "changelist": "/admin/questions/question/",
    "add": "/admin/questions/question/add/",
    "change": "/admin/questions/question/{draft}/change/",
    "preview": "/admin/questions/question/{live}/preview/",
    "draft_preview": draft_preview,
    "history": "/admin/questions/question/{draft}/versions/",
    "bank_report": "/admin/questions/question/bank-report/",
    "item_statistics": "/admin/analytics/itemstat/",
    "prediction_check": "/admin/questions/question/prediction-check/",
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", list(PAGES))
def test_admin_page_has_no_serious_accessibility_problems(browser, live_server, bank, name, viewport):
    context, page = log_in(browser, live_server, bank, viewport=viewport, bypass_csp=True)
    target = PAGES[name]
    if callable(target):
        page = target(page, live_server.url)
    else:
        ids = {
            "draft": Question.objects.get(external_id="a11y-draft").pk,
            "live": Question.objects.get(external_id="a11y-0").pk,
        }
        response = page.goto(live_server.url + target.format(**ids))
        assert response.status == 200
    page.wait_for_load_state("networkidle")
    assert accessibility_problems(page) == []
    context.close()
