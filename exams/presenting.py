"""The exam page's repeated parts (a section and a navigator cell per question), built in Python: with
200 questions, template loops cost more than the 100 ms the whole page may take."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from questions.presenting import Labels

from .selectors import ExamItem


def exam_sections_html(items: list[ExamItem]) -> SafeString:
    """The same HTML as questions.presenting.question_html per item (a test holds them equal), joined from each
    version's fragment made once (exams.fragments): per item only its number, area, choice order and answer."""
    labels = Labels.current()
    prev, flag, next_ = escape(_("前へ")), escape(_("見直しマーク")), escape(_("次へ"))
    last = len(items)
    title = escape(labels.number)  # "第%(n)s問": the number is an int, so escaping once is enough
    escaped: dict[str, str] = {}  # a page has a few distinct areas and kinds: escape each once
    parts = []
    for item in items:
        n, fragment = item.number, item.fragment
        input_type = "checkbox" if fragment.multiple else "radio"
        selected = item.selected
        head = f'<label class="choice"><input type="{input_type}" name="q{n}" value="'
        choice_html = fragment.choice_html
        choices = "".join(
            f'{head}{i}"{" checked" if i in selected else ""}{_KEY_SPANS[i]}{choice_html(cid)}</span></label>'
            for i, cid in enumerate(item.choice_order)
        )
        parts.append(
            f'<section class="exam-q" id="q{n}" data-n="{n}" aria-labelledby="q{n}-title">'
            f'<article class="question" data-kind="{_escaped(escaped, fragment.kind)}"><header class="question-head">'
            f'<h2 class="question-number" tabindex="-1" id="q{n}-title">{title % {"n": n}}</h2>'
            f'<span class="question-area">{_escaped(escaped, item.area_name)}{fragment.body}{choices}</fieldset>'
            "</article>"
            f'<div class="q-actions">'
            f'<button type="button" class="button secondary" data-action="prev"{" disabled" if n == 1 else ""}>'
            f"← {prev}</button>"
            f'<button type="button" class="button secondary flag" data-action="flag" '
            f'aria-pressed="{"true" if item.flagged else "false"}" aria-keyshortcuts="f">⚑ {flag}</button>'
            f'<button type="button" class="button secondary" data-action="next"{" disabled" if n == last else ""}>'
            f"{next_} →</button></div></section>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - built from escaped or publish-time-sanitized parts


class _KeySpans(dict):
    """What follows a choice's input up to its text, by the choice's place on the page (the key to press)."""

    def __missing__(self, i: int) -> str:
        self[i] = f'><span class="choice-key" aria-hidden="true">{i + 1}</span><span class="choice-text">'
        return self[i]


_KEY_SPANS = _KeySpans()


def _escaped(memo: dict[str, str], text: str) -> str:
    if text not in memo:
        memo[text] = escape(text)
    return memo[text]


def navigator_html(items: list[ExamItem]) -> SafeString:
    return mark_safe(  # noqa: S308 - numbers only
        "".join(f'<li><a href="#q{i.number}" data-n="{i.number}" class="nav-cell">{i.number}</a></li>' for i in items)
    )
