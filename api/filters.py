import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field

from exams.models import Attempt
from hr.models import RealResult, session_label_validator

from .base import DEPARTMENT_ID, EXAM_CODES, MAX_ID, organization_department, organization_member, refused

MEMBER_ID = gettext_lazy("メンバーのID（0 以上の整数）で指定してください。")
DATETIME = gettext_lazy("ISO 8601 の日時で指定してください（例: 2026-12-01T09:00:00+09:00）。")


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An id: a whole number (django-filter's NumberFilter would take 0.5 and 1e300)."""

    field_class = forms.IntegerField

    def __init__(self, *args, message, **kwargs):
        messages = {key: message for key in ("invalid", "min_value", "max_value")}
        super().__init__(*args, min_value=0, max_value=MAX_ID, error_messages=messages, **kwargs)


def datetime_filter(lookup: str, field_name: str) -> django_filters.IsoDateTimeFilter:
    return django_filters.IsoDateTimeFilter(
        field_name=field_name, lookup_expr=lookup, error_messages={"invalid": DATETIME}
    )


class StrictBooleanField(forms.Field):
    """true or false. django-filter's BooleanFilter reads any other word as "no filter", so ?passed=ture
    returned everyone."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        word = str(value).strip().lower()
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise ValidationError(refused(value, "true, false"), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class OneOfField(forms.CharField):
    """One of a fixed list of codes; anything else is refused with the list (not answered with nothing)."""

    def __init__(self, *args, allowed: list[str], **kwargs):
        self.allowed = allowed
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and value not in self.allowed:
            raise ValidationError(refused(value, ", ".join(self.allowed)), code="invalid_choice")


@extend_schema_field({"type": "string", "enum": EXAM_CODES})
class ExamFilter(django_filters.CharFilter):
    field_class = OneOfField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allowed=EXAM_CODES, **kwargs)


class SessionField(forms.CharField):
    """A session as JDLA numbers it (hr.models: 2025#6)."""

    def validate(self, value):
        super().validate(value)
        if value and not session_label_validator.regex.search(value):
            raise ValidationError(refused(value, _("年#回 の形（例: 2025#6）")), code="invalid")


@extend_schema_field({"type": "string", "pattern": session_label_validator.regex.pattern, "example": "2025#6"})
class SessionFilter(django_filters.CharFilter):
    field_class = SessionField


class OrganizationFilterSet(django_filters.FilterSet):
    """member and department must name this organization's member and department (0: no department)."""

    member = IdFilter(method="filter_member", message=MEMBER_ID, help_text="Membership id of this organization")
    department = IdFilter(
        method="filter_department", message=DEPARTMENT_ID, help_text="Department id of this organization (0: none)"
    )

    @property
    def organization_id(self):
        return getattr(self.request.user, "organization_id", None)

    def filter_member(self, queryset, name, value):
        return queryset.filter(member_id=organization_member(self.organization_id, value))

    def filter_department(self, queryset, name, value):
        return queryset.filter(department_id=organization_department(self.organization_id, value) or None)


class AttemptFilter(OrganizationFilterSet):
    blueprint = django_filters.CharFilter(field_name="blueprint__slug")
    started_from = datetime_filter("gte", "started_at")
    started_to = datetime_filter("lt", "started_at")
    passed = StrictBooleanFilter()
    updated_since = datetime_filter("gte", "updated_at")

    class Meta:
        model = Attempt
        fields = []


class RealResultFilter(OrganizationFilterSet):
    department = None
    exam = ExamFilter(field_name="exam__code")
    session = SessionFilter()
    passed = StrictBooleanFilter()
    updated_since = datetime_filter("gte", "updated_at")

    class Meta:
        model = RealResult
        fields = []
