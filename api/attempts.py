"""Submitted and scored attempts of the organization's members, for syncing into an HR dashboard."""

from django.db.models import F
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics, serializers

from exams.models import Attempt
from exams.selectors import organization_attempts

from .base import OrganizationAPIView
from .filters import AttemptFilter
from .pagination import UpdatedCursor


def with_member(rows):
    """Rows read through exams.selectors.of_members carry their membership: its id and department."""
    return rows.annotate(member_id=F("member__id"), department_id=F("member__department_id"))


class AttemptSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id")
    department = serializers.IntegerField(source="department_id", allow_null=True)
    blueprint = serializers.CharField(source="blueprint.slug")
    exam = serializers.CharField(source="blueprint.exam.code")
    scaled_score = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="Ability on the exam's scale, 0-1000 (500: the average examinee)"
    )
    pass_probability = serializers.FloatField(
        allow_null=True, read_only=True, help_text="Chance of passing the real exam, 0..1 (full forms only)"
    )
    pass_low = serializers.FloatField(allow_null=True, read_only=True, help_text="Its 80% interval, lower end")
    pass_high = serializers.FloatField(allow_null=True, read_only=True, help_text="Its 80% interval, upper end")

    class Meta:
        model = Attempt
        fields = [
            "id",
            "member",
            "department",
            "blueprint",
            "exam",
            "status",
            "started_at",
            "submitted_at",
            "scored_at",
            "question_count",
            "correct_count",
            "score",
            "passed",
            "pass_ratio",
            "scaled_score",
            "pass_probability",
            "pass_low",
            "pass_high",
            "updated_at",
        ]


class AttemptListView(OrganizationAPIView, generics.ListAPIView):
    """Submitted and scored attempts of the organization's members (also of members since deactivated)."""

    serializer_class = AttemptSerializer
    pagination_class = UpdatedCursor
    filter_backends = [DjangoFilterBackend]
    filterset_class = AttemptFilter

    def get_queryset(self):
        attempts = organization_attempts(organization_id=self.organization_id)
        return with_member(attempts).select_related("blueprint__exam")
