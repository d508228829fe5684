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
            self.fields["areas"].choices = [(a.code, f"{a.code} {a.name}") for a in areas]
            self.parent_code = {a.code: a.parent.code for a in areas if a.parent_id}
            self.area_groups = [
                (top, [a for a in areas if a.parent_id == top.pk]) for top in areas if not top.parent_id
            ]  # the tree the page shows: each top-level area with its leaves
        else:
            del self.fields["areas"], self.fields["count"]

    def clean_areas(self):
        """A whole area chosen with some of its leaves is the whole area (the page's parent box checks them all)."""
        codes = self.cleaned_data["areas"]
        return [code for code in codes if self.parent_code.get(code) not in codes]
