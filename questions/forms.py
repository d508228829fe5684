"""The question form authors fill in Django admin. Everything works as plain HTML; static/js/admin-question.js
turns the keyword field into chips and narrows the area list to the chosen exam, using the data these widgets
put on the page."""

import itertools
import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from .bankfile import ChoiceRow, choice_problems
from .models import Choice, Question, SyllabusArea

# An author types keywords apart with a comma or, on a Japanese keyboard, 、 or ，; one per line also works.
KEYWORD_SEPARATORS = re.compile(r"[,、，\n]")


def keywords_from_text(text: str) -> list[str]:
    """ "ReLU、活性化関数, ReLU" → ["ReLU", "活性化関数"]. A JSON list (what the field showed before) is read as
    such, so an old bookmark or script posting `["a", "b"]` keeps working."""
    text = (text or "").strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return _unique(str(k) for k in parsed)
    return _unique(KEYWORD_SEPARATORS.split(text))


def _unique(words) -> list[str]:
    seen: dict[str, None] = {}
    for word in words:
        word = " ".join(str(word).split())
        if word:
            seen.setdefault(word, None)
    return list(seen)


class KeywordsInput(forms.TextInput):
    """A comma-separated text box; the script turns it into chips and writes the same text back. The words the
    script shows are rendered here, so they are translated with the rest of the page."""

    def __init__(self, attrs=None):
        words = {
            "data-chips-label": _("入力済みのキーワード"),
            "data-remove-label": _("キーワード「%s」を削除"),
            "data-added": _("キーワード「%s」を追加しました。"),
            "data-removed": _("キーワード「%s」を削除しました。"),
            "data-duplicate": _("キーワード「%s」はもう入っています。"),
            "data-suggest-title": _("この分野のシラバスにあるキーワード（押すと追加）"),
            "data-suggest-add": _("キーワード「%s」を追加"),
        }
        super().__init__({"class": "vTextField keyword-input", "data-keyword-input": "", **words, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        if isinstance(value, str) and value.startswith("["):
            return ", ".join(keywords_from_text(value))
        return super().format_value(value)


class KeywordsField(forms.CharField):
    widget = KeywordsInput

    def __init__(self, **kwargs):
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            return _unique(value)
        return keywords_from_text(super().to_python(value))

    def prepare_value(self, value):
        return value

    def has_changed(self, initial, data) -> bool:
        return list(initial or []) != self.to_python(data)


class AreaChoiceIterator(ModelChoiceIterator):
    """Leaf areas grouped under their exam and parent area, in syllabus order."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for (exam, parent), areas in itertools.groupby(self.queryset, key=lambda a: (a.exam, a.parent)):
            label = f"{exam.name}｜{parent}" if parent else exam.name
            yield (label, [self.choice(area) for area in areas])


class AreaSelect(forms.Select):
    """Each option says which exam it belongs to and which keywords the syllabus lists for it, so the script
    can show only the chosen exam's areas and suggest keywords without asking the server again."""

    def __init__(self, attrs=None, choices=()):
        words = {"data-reselect": _("試験を変えたので、分野を選び直してください。")}
        super().__init__({**words, **(attrs or {})}, choices)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        area = getattr(value, "instance", None)
        if area is not None:
            option["attrs"]["data-exam"] = str(area.exam_id)
            option["attrs"]["data-keywords"] = json.dumps(list(area.keywords or []), ensure_ascii=False)
        return option


class AreaChoiceField(forms.ModelChoiceField):
    iterator = AreaChoiceIterator
    widget = AreaSelect

    def label_from_instance(self, area: SyllabusArea) -> str:
        return str(area) if area.in_syllabus else _("%(area)s（現行シラバス外）") % {"area": area}


def leaf_areas():
    return SyllabusArea.objects.filter(is_leaf=True).select_related("exam", "parent").order_by("exam__order", "order")


class QuestionAdminForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = (
            "external_id",
            "exam",
            "area",
            "kind",
            "stimulus",
            "stem",
            "explanation",
            "difficulty",
            "framework",
            "keywords",
        )
        field_classes = {"keywords": KeywordsField, "area": AreaChoiceField}
        help_texts = {
            "keywords": _("カンマ（,）か読点（、）で区切って入力します。例: ReLU、活性化関数"),
        }


class ChoiceForm(forms.ModelForm):
    class Meta:
        model = Choice
        fields = ("order", "text", "is_correct")
        widgets = {"text": forms.Textarea(attrs={"rows": 2, "cols": 60})}


class ChoiceFormSet(BaseInlineFormSet):
    """The choice rules (count, duplicates, number of correct answers) checked before anything is saved."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A table cell's column header does not label its input for assistive technology: name each input
        # after its row and column ("選択肢2: 正解"). Rows the script adds are renumbered by admin-question.js.
        row = _("選択肢%s")
        for field in form.fields.values():
            if not field.widget.is_hidden:
                label = field.label or _("削除")
                number = index + 1 if index is not None else ""
                field.widget.attrs.update(
                    {"aria-label": f"{row % number}: {label}", "data-choice-row": row, "data-choice-label": label}
                )

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [
            ChoiceRow(f.cleaned_data.get("text", ""), f.cleaned_data.get("is_correct", False))
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        problems = choice_problems(self.instance.kind, rows)
        if problems:
            raise ValidationError(problems)
