"""The exam page's repeated parts (a section and a navigator cell per question), built in Python: with
200 questions, template loops cost more than the 100 ms the whole page may take."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from questions.presenting import Labels, question_html

from .selectors import ExamItem


def exam_sections_html(items: list[ExamItem]) -> SafeString:
    labels = Labels.current()
    prev, flag, next_ = escape(_("前へ")), escape(_("見直しマーク")), escape(_("次へ"))
    last = len(items)
    sections = []
    for item in items:
        n = item.number
        question = question_html(
            number=n,
            kind=item.kind,
            area_name=item.area_name,
            stem_html=item.stem_html,
            stimulus_html=item.stimulus_html,
            choices_html=item.choices_html,
            selected=item.selected,
            labels=labels,
        )
        sections.append(
            f'<section class="exam-q" id="q{n}" data-n="{n}" aria-labelledby="q{n}-title">{question}'
            f'<div class="q-actions">'
            f'<button type="button" class="button secondary" data-action="prev"{" disabled" if n == 1 else ""}>'
            f"← {prev}</button>"
            f'<button type="button" class="button secondary flag" data-action="flag" '
            f'aria-pressed="{"true" if item.flagged else "false"}" aria-keyshortcuts="f">⚑ {flag}</button>'
            f'<button type="button" class="button secondary" data-action="next"{" disabled" if n == last else ""}>'
            f"{next_} →</button></div></section>"
        )
    return mark_safe("".join(sections))  # noqa: S308 - built from escaped or publish-time-sanitized parts


def navigator_html(items: list[ExamItem]) -> SafeString:
    return mark_safe(  # noqa: S308 - numbers only
        "".join(f'<li><a href="#q{i.number}" data-n="{i.number}" class="nav-cell">{i.number}</a></li>' for i in items)
    )
