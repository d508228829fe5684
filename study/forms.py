from django import forms
from django.utils.translation import gettext_lazy as _

from questions.models import Exam

from .models import StudySession
from .services import MAX_COUNT

SOURCES = [(value, label) for value, label in StudySession.Source.choices if value != StudySession.Source.MIXED]


class StudyStartForm(forms.Form):
    """What a study session asks: the exam, areas (the same tree as drills; none means all), how many, and from
    which questions."""

    exam = forms.ModelChoiceField(label=_("試験"), queryset=Exam.objects.order_by("order"), to_field_name="code")
    source = forms.ChoiceField(label=_("出題元"), choices=SOURCES, initial="all", widget=forms.RadioSelect)
    areas = forms.MultipleChoiceField(label=_("出題する分野（選ばなければすべて）"), required=False)
    count = forms.IntegerField(label=_("問題数"), min_value=1, max_value=MAX_COUNT, initial=10)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = [(a.code, f"{a.code} {a.name}") for a in areas]
        self.exam_of = {a.code: a.exam_id for a in areas}
        self.parent_code = {a.code: a.parent.code for a in areas if a.parent_id}
        self.area_groups = [(top, [a for a in areas if a.parent_id == top.pk]) for top in areas if not top.parent_id]

    def clean(self):
        data = super().clean()
        exam, codes = data.get("exam"), data.get("areas") or []
        if exam and any(self.exam_of.get(code) != exam.pk for code in codes):
            self.add_error("areas", _("選んだ試験の分野を選んでください。"))
        # A whole area chosen with some of its leaves is the whole area.
        data["areas"] = [code for code in codes if self.parent_code.get(code) not in codes]
        return data


class NoteForm(forms.Form):
    text = forms.CharField(label=_("メモ"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class PlanForm(forms.Form):
    session = forms.IntegerField(required=False)
