"""The question review of a result report, built in Python: 200 questions with choices and explanations
through template loops cost ~250 ms; this costs a few ms. Stem, choice and explanation HTML were
sanitized at publish time; everything else is escaped here."""

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from common.templatetags.report import pct as _pct

from .selectors import ReviewItem


def review_html(items: list[ReviewItem], notes: dict | None = None, note_form=None) -> SafeString:
    """Every question with its answer, key and choice shares; explanations folded until asked for; the person's
    bookmark and note with a form to change them (`note_form(question_id, note)` renders it). Each carries what
    the page's filters read (result, flag, top-level area)."""
    notes = notes or {}
    words = {
        key: escape(text)
        for key, text in {
            "right": _("正解"),
            "wrong": _("不正解"),
            "blank": _("未解答"),
            "key": _("正解"),
            "yours": _("あなたの解答"),
            "rate": _("正答率"),
            "full_rate": _("すべて一致した受験者"),
            "explanation": _("解説"),
            "all_or_nothing": _(
                "この問題は、正しい選択肢をすべて選び、誤りを1つも選ばないときだけ正解です（部分点なし）。"
                "選択肢ごとの割合は、各選択肢を選んだ受験者の割合です。"
            ),
            "withheld": _("受験中の模擬試験にも出題されているため、正誤と解説はその提出後に表示します。"),
        }.items()
    }
    held_label = _("正誤と解説は、課題の期限後（%(date)s）に表示します。")
    number_label, share_label = _("第%(n)s問"), _("選んだ受験者 %(s)s")
    marks = {
        "right": f'<span class="mark ok">◯ {words["right"]}</span>',
        "wrong": f'<span class="mark ng">✕ {words["wrong"]}</span>',
        "blank": f'<span class="mark ng">— {words["blank"]}</span>',
        "withheld": "",
    }
    out = []
    for item in items:
        multiple = item.kind == "multiple"
        meta = escape(item.area_name) + (" · ⚑" if item.flagged else "")
        if item.facility is not None:
            meta += f" · {words['full_rate' if multiple else 'rate']} {_pct(item.facility)}"
        choices = "".join(
            f'<li class="{"key" if c.is_correct else ""}">{c.number}. {c.html}'
            + (f" <strong>（{words['key']}）</strong>" if c.is_correct else "")
            + (f" <strong>← {words['yours']}</strong>" if c.chosen else "")
            + (
                f' <span class="share muted">{escape(share_label % {"s": _pct(c.share)})}</span>'
                if c.share is not None
                else ""
            )
            + "</li>"
            for c in item.choices
        )
        stimulus = f'<div class="stimulus">{item.stimulus_html}</div>' if item.stimulus_html else ""
        scoring = f'<p class="scoring-note muted">{words["all_or_nothing"]}</p>' if multiple else ""
        if item.withheld:
            explanation = f'<p class="explanation">{_withheld_note(item, words["withheld"], held_label)}</p>'
        else:
            explanation = (
                f'<details class="explanation"><summary>{words["explanation"]}</summary>'
                f"{item.explanation_html}</details>"
            )
        note = notes.get(item.question_id)
        mine = ""
        if note and note.text:
            mine = f'<p class="note-text">{escape(note.text)}</p>'
        if note_form:
            mine += note_form(item.question_id, note)
        out.append(
            f'<article class="review-item" id="q{item.number}" data-result="{item.result}" '
            f'data-flagged="{int(item.flagged)}" data-area="{escape(item.top_area)}">'
            f"<h3>{escape(number_label % {'n': item.number})} {'★ ' if note and note.bookmarked else ''}"
            f'{marks[item.result]} <small class="muted">{meta}</small>'
            f'</h3>{stimulus}<div class="stem">{item.stem_html}</div><ol class="review-choices">{choices}</ol>'
            f"{scoring}{explanation}{mine}</article>"
        )
    return mark_safe("".join(out))  # noqa: S308 - escaped here or sanitized at publish time


def answer_grid_html(items: list[ReviewItem]) -> SafeString:
    """One small cell per question, marked ◯ ✕ — (or ? while withheld), each a link to it."""
    symbols = {"right": "◯", "wrong": "✕", "blank": "—", "withheld": "?"}
    words = {
        "right": _("正解"),
        "wrong": _("不正解"),
        "blank": _("未解答"),
        "withheld": _("正誤は後で表示"),
    }
    number_label = _("第%(n)s問")
    cells = "".join(
        f'<li><a class="grid-cell {item.result}" href="#q{item.number}" data-n="{item.number}" '
        f'aria-label="{escape(number_label % {"n": item.number})} {escape(words[item.result])}'
        f'{" ⚑" if item.flagged else ""}">{item.number}<span aria-hidden="true">{symbols[item.result]}'
        f"{'⚑' if item.flagged else ''}</span></a></li>"
        for item in items
    )
    return mark_safe(f'<ol class="answer-grid">{cells}</ol>')  # noqa: S308 - numbers and escaped words


def _withheld_note(item: ReviewItem, open_note: str, held_label: str) -> str:
    if item.released_at is None:
        return open_note
    return escape(held_label % {"date": date_format(localtime(item.released_at), "DATETIME_FORMAT")})


def note_controls_html(question_id: int, note, *, action: str, back: str, csrf_token: str) -> str:
    """A bookmark toggle and a folded note form for one question of the report (posted to study's note view)."""
    hidden = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        f'<input type="hidden" name="next" value="{escape(back)}">'
    )
    marked = bool(note and note.bookmarked)
    word = escape(_("★ ブックマーク済み") if marked else _("☆ ブックマークする"))
    toggle = (
        f'<button class="link-button" name="action" value="{"unbookmark" if marked else "bookmark"}" '
        f'aria-pressed="{str(marked).lower()}">{word}</button>'
    )
    label, text = escape(_("メモ")), escape(note.text if note else "")
    editor = (
        f'<label class="visually-hidden" for="note-{question_id}">{label}</label>'
        f'<textarea id="note-{question_id}" name="text" rows="3" maxlength="2000">{text}</textarea>'
        f'<button class="button secondary" name="action" value="note">{escape(_("メモを保存"))}</button>'
    )
    return (
        f'<div class="review-note no-print"><form method="post" action="{escape(action)}">{hidden}{toggle}</form>'
        f'<details><summary>{label}</summary><form method="post" action="{escape(action)}">{hidden}{editor}</form>'
        "</details></div>"
    )
