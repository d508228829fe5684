from django import forms
from django.utils.translation import gettext_lazy as _

from questions.models import Question

from .models import Blueprint


class StartForm(forms.Form):
    """What a candidate decides before the first question: the framework (E資格, final) or a drill's
    areas and size. Fields a blueprint does not need are removed."""

    framework = forms.ChoiceField(
        label=_("フレームワーク（開始後は変更できません）"),
        choices=[(Question.Framework.PYTORCH, "PyTorch"), (Question.Framework.TENSORFLOW, "TensorFlow")],
        widget=forms.RadioSelect,
    )
    areas = forms.MultipleChoiceField(label=_("出題する分野"), widget=forms.CheckboxSelectMultiple)
    count = forms.IntegerField(label=_("問題数"), min_value=1, max_value=100, initial=10)

    def __init__(self, *args, blueprint: Blueprint, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not blueprint.requires_framework:
            del self.fields["framework"]
        if blueprint.is_drill:
            self.fields["areas"].choices = [(a.code, f"{'　' if a.parent_id else ''}{a.code} {a.name}") for a in areas]
        else:
            del self.fields["areas"], self.fields["count"]
