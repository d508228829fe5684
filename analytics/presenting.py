"""The question review of a result report, built in Python: 200 questions with choices and explanations
through template loops cost ~250 ms; this costs a few ms. Stem, choice and explanation HTML were
sanitized at publish time; everything else is escaped here."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .selectors import ReviewItem
from .templatetags.report import pct as _pct


def review_html(items: list[ReviewItem]) -> SafeString:
    words = {
        key: escape(text)
        for key, text in {
            "right": _("正解"),
            "wrong": _("不正解"),
            "blank": _("未解答"),
            "key": _("正解"),
            "yours": _("あなたの解答"),
            "rate": _("正答率"),
            "explanation": _("解説"),
            "withheld": _("受験中の模擬試験にも出題されているため、正誤と解説はその提出後に表示します。"),
        }.items()
    }
    number_label, share_label = _("第%(n)s問"), _("選んだ受験者 %(s)s")
    out = []
    for item in items:
        if item.withheld:
            mark = ""
        elif item.is_correct:
            mark = f'<span class="mark ok">◯ {words["right"]}</span>'
        elif item.answered:
            mark = f'<span class="mark ng">✕ {words["wrong"]}</span>'
        else:
            mark = f'<span class="mark ng">— {words["blank"]}</span>'
        meta = escape(item.area_name) + (" · ⚑" if item.flagged else "")
        if item.facility is not None:
            meta += f" · {words['rate']} {_pct(item.facility)}"
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
        out.append(
            f'<article class="review-item" id="q{item.number}"><h3>{escape(number_label % {"n": item.number})} '
            f'{mark} <small class="muted">{meta}</small></h3>{stimulus}<div class="stem">{item.stem_html}</div>'
            f'<ol class="review-choices">{choices}</ol>'
            + (
                f'<p class="explanation">{words["withheld"]}</p></article>'
                if item.withheld
                else f'<div class="explanation"><h4>{words["explanation"]}</h4>{item.explanation_html}</div></article>'
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - escaped here or sanitized at publish time
