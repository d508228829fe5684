"""Read-only REST API for HR dashboards. Every query is scoped to the token's organization, so another
organization's ids are simply not found."""

import django_filters
from django import forms
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, pagination, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Department, Membership, Organization
from exams.models import Assignment, Attempt, RealResult
from exams.selectors import assignment_completion, assignment_of, assignment_targets, blueprints_open_to
from questions.models import Exam

from .. import org_selectors
from .authentication import BearerTokenAuthentication, IsOrganizationClient, TokenRateThrottle


class OrganizationAPIView:
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsOrganizationClient]
    throttle_classes = [TokenRateThrottle]

    @property
    def organization_id(self) -> int | None:
        # None while drf-spectacular builds the schema with a fake request: querysets are then empty.
        return getattr(self.request.user, "organization_id", None)


MAX_ID = 2**63 - 1  # PostgreSQL bigint


class Cursor(pagination.CursorPagination):
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = "pk"


class OrganizationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    members = serializers.IntegerField(help_text="Active members")
    departments = serializers.IntegerField()


class OrganizationSummaryView(OrganizationAPIView, APIView):
    @extend_schema(responses=OrganizationSummarySerializer, summary="The token's organization")
    def get(self, request):
        org = Organization.objects.annotate(
            members=Count("memberships", filter=Q(memberships__is_active=True), distinct=True),
            departments_count=Count("departments", distinct=True),
        ).get(pk=self.organization_id)
        data = {"id": org.pk, "name": org.name, "slug": org.slug, "members": org.members}
        return Response(OrganizationSummarySerializer({**data, "departments": org.departments_count}).data)


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "parent"]


class DepartmentListView(OrganizationAPIView, generics.ListAPIView):
    serializer_class = DepartmentSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return Department.objects.filter(organization_id=self.organization_id)


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.display_name")
    department = serializers.CharField(source="department.name", default=None, allow_null=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "employee_code", "role", "department", "is_active", "joined_at"]


class MemberListView(OrganizationAPIView, generics.ListAPIView):
    serializer_class = MemberSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return Membership.objects.filter(organization_id=self.organization_id).select_related("user", "department")


class MemberDetailView(OrganizationAPIView, generics.RetrieveAPIView):
    serializer_class = MemberSerializer

    def get_queryset(self):
        return Membership.objects.filter(organization_id=self.organization_id).select_related("user", "department")


def _of_members(rows, organization_id, moment: str):
    """A person's rows (attempts, real results) from while they were the organization's member (`moment`
    between joining and leaving), with their membership id and department as `member_id` and
    `department_id`. What they did before joining or after leaving is not the organization's."""
    membership = Membership.objects.filter(organization_id=organization_id, user_id=OuterRef("user_id"))
    return rows.filter(
        Q(user__memberships__left_at=None) | Q(user__memberships__left_at__gt=F(moment)),
        user__memberships__organization_id=organization_id,
        user__memberships__joined_at__lte=F(moment),
    ).annotate(
        member_id=Subquery(membership.values("pk")[:1]),
        department_id=Subquery(membership.values("department_id")[:1]),
    )


class AttemptCursor(pagination.CursorPagination):
    """Ordered by last change, so a dashboard can sync with updated_since and keep the last cursor."""

    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = ("updated_at", "pk")


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An id: a whole number (django-filter's NumberFilter would take 0.5 and 1e300)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=0, max_value=MAX_ID, **kwargs)


class AttemptFilter(django_filters.FilterSet):
    member = IdFilter(field_name="member_id", help_text="Membership id")
    department = IdFilter(field_name="department_id")
    blueprint = django_filters.CharFilter(field_name="blueprint__slug")
    started_from = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_to = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    passed = django_filters.BooleanFilter()
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Attempt
        fields = []


class AttemptSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id")
    department = serializers.IntegerField(source="department_id", allow_null=True)
    blueprint = serializers.CharField(source="blueprint.slug")
    exam = serializers.CharField(source="blueprint.exam.code")

    class Meta:
        model = Attempt
        fields = [
            "id", "member", "department", "blueprint", "exam", "status", "started_at", "submitted_at",
            "scored_at", "question_count", "correct_count", "score", "passed", "pass_ratio", "updated_at",
        ]  # fmt: skip


class AttemptListView(OrganizationAPIView, generics.ListAPIView):
    """Submitted and scored attempts of the organization's members (also of members since deactivated)."""

    serializer_class = AttemptSerializer
    pagination_class = AttemptCursor
    filter_backends = [DjangoFilterBackend]
    filterset_class = AttemptFilter

    def get_queryset(self):
        attempts = Attempt.objects.exclude(status=Attempt.Status.OPEN).filter(
            blueprint_id__in=blueprints_open_to(self.organization_id)  # not another organization's private form
        )
        return _of_members(attempts, self.organization_id, "started_at").select_related("blueprint__exam")


# --- Aggregates: pass rates and weaknesses ---------------------------------------------------------------


EXAM_CODES = [Exam.G_KENTEI, Exam.E_SHIKAKU, Exam.GENAI_TEST]
GROUP_BY_PATTERN = r"^(department|blueprint|month)(,(department|blueprint|month))*$"


class MonthField(serializers.DateField):
    """A month as YYYY-MM (a full date is accepted too); its first day."""

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) == 7:
            value = f"{value}-01"
        return super().to_internal_value(value).replace(day=1)


class PassRateQuery(serializers.Serializer):
    group_by = serializers.RegexField(
        GROUP_BY_PATTERN, default="department", help_text="Comma-separated: any of department, blueprint, month"
    )
    exam = serializers.ChoiceField(choices=EXAM_CODES, required=False, help_text="Exam code, e.g. g_kentei")
    blueprint = serializers.SlugField(required=False, help_text="Blueprint slug, e.g. g-kentei-full")
    department = serializers.IntegerField(required=False, min_value=0, help_text="Department id (0: none)")
    since = MonthField(required=False, help_text="First month, YYYY-MM")
    until = MonthField(required=False, help_text="Last month, YYYY-MM")

    def validate_group_by(self, value):
        return value.split(",")  # the pattern allows only department, blueprint and month


class PassRateSerializer(serializers.Serializer):
    department_id = serializers.IntegerField(allow_null=True, required=False)
    department = serializers.CharField(allow_null=True, required=False)
    blueprint = serializers.CharField(allow_null=True, required=False)
    month = serializers.CharField(allow_null=True, required=False, help_text="YYYY-MM")
    attempts = serializers.IntegerField()
    passed = serializers.IntegerField()
    pass_rate = serializers.FloatField(allow_null=True, help_text="passed / attempts, 0..1")
    mean_score = serializers.FloatField(allow_null=True, help_text="0..1")


def _results_of(serializer_class, name):
    return inline_serializer(name, {"results": serializer_class(many=True)})


PASS_RATE_EXAMPLE = OpenApiExample(
    "By department and month",
    value={
        "results": [
            {
                "department_id": 3,
                "department": "営業部",
                "blueprint": None,
                "month": "2026-10",
                "attempts": 42,
                "passed": 25,
                "pass_rate": 0.595,
                "mean_score": 0.712,
            }
        ]
    },
    response_only=True,
)


class PassRateView(OrganizationAPIView, APIView):
    """Full-form mock attempts (drills excluded) and passes, grouped. Kept current within a few minutes."""

    @extend_schema(
        parameters=[PassRateQuery],
        responses=_results_of(PassRateSerializer, "PassRates"),
        examples=[PASS_RATE_EXAMPLE],
        summary="Mock pass rates grouped by department, blueprint and/or month",
    )
    def get(self, request):
        query = PassRateQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        rows = org_selectors.pass_rates(
            organization_id=self.organization_id, group_by=q["group_by"], exam_code=q.get("exam"),
            blueprint=q.get("blueprint"), department_id=q.get("department"), since=q.get("since"),
            until=q.get("until"),
        )  # fmt: skip
        fields = {"department": ("department_id", "department"), "blueprint": ("blueprint",), "month": ("month",)}
        shown = {f for g in q["group_by"] for f in fields[g]} | {"attempts", "passed", "pass_rate", "mean_score"}
        # Plain dicts: a serializer per row would cost more than the query (600 rows for 50 departments × 12
        # months); PassRateSerializer describes the same fields for the schema.
        fields = [f for f in PassRateSerializer().fields if f in shown]
        data = [{f: getattr(r, f) for f in fields} for r in rows]
        return Response({"results": data})


class WeaknessQuery(serializers.Serializer):
    exam = serializers.ChoiceField(choices=EXAM_CODES, help_text="Exam code, e.g. g_kentei")
    department = serializers.IntegerField(required=False, min_value=0, help_text="Department id (0: none)")
    since = MonthField(required=False, help_text="First month, YYYY-MM")
    level = serializers.ChoiceField(choices=["top", "leaf"], default="top", help_text="Syllabus level")


class WeaknessSerializer(serializers.Serializer):
    department_id = serializers.IntegerField(allow_null=True)
    department = serializers.CharField()
    area_code = serializers.CharField()
    area = serializers.CharField()
    correct = serializers.IntegerField()
    total = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="correct / total, 0..1")
    organization_rate = serializers.FloatField(allow_null=True)
    gap = serializers.FloatField(allow_null=True, help_text="rate − organization_rate")


WEAKNESS_EXAMPLE = OpenApiExample(
    "営業部's weakest area first",
    value={
        "results": [
            {"department_id": 3, "department": "営業部", "area_code": "G6", "area": "ディープラーニングの応用例",
             "correct": 412, "total": 864, "rate": 0.477, "organization_rate": 0.612, "gap": -0.135}
        ]
    },
    response_only=True,
)  # fmt: skip


class WeaknessView(OrganizationAPIView, APIView):
    """Correct rate per department and syllabus area beside the organization's; weakest first."""

    @extend_schema(
        parameters=[WeaknessQuery],
        responses=_results_of(WeaknessSerializer, "Weaknesses"),
        examples=[WEAKNESS_EXAMPLE],
        summary="Syllabus areas by department, weakest first",
    )
    def get(self, request):
        query = WeaknessQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        exam = get_object_or_404(Exam, code=q["exam"])
        rows = org_selectors.weaknesses(
            organization_id=self.organization_id, exam_id=exam.pk, since=q.get("since"),
            department_id=q.get("department"), leaves=q["level"] == "leaf",
        )  # fmt: skip
        fields = list(WeaknessSerializer().fields)  # plain dicts, as for pass rates
        return Response({"results": [{f: getattr(r, f) for f in fields} for r in rows]})


# --- Assignments and real results -----------------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    blueprint = serializers.CharField(source="blueprint.slug")
    departments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    due_on = serializers.DateField()
    opens_on = serializers.DateField()
    targets = serializers.IntegerField(help_text="Active members it is for")
    done = serializers.IntegerField(help_text="Of them, who submitted an attempt that counts")
    done_on_time = serializers.IntegerField()

    class Meta:
        model = Assignment
        fields = ["id", "blueprint", "departments", "members", "opens_on", "due_on", "note", "targets", "done",
                  "done_on_time", "created_at", "updated_at"]  # fmt: skip


@extend_schema_view(
    get=extend_schema(
        summary="Assignments with completion",
        examples=[
            OpenApiExample(
                "G検定 for 営業部 by 12/20",
                value={"next": None, "previous": None, "results": [
                    {"id": 7, "blueprint": "g-kentei-full", "departments": [3], "members": [], "opens_on": "2026-11-01",
                     "due_on": "2026-12-20", "note": "", "targets": 48, "done": 31, "done_on_time": 31,
                     "created_at": "2026-11-01T09:00:00+09:00", "updated_at": "2026-11-01T09:00:00+09:00"}]},
                response_only=True,
            )
        ],
    )
)  # fmt: skip
class AssignmentListView(OrganizationAPIView, generics.ListAPIView):
    serializer_class = AssignmentSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return (
            Assignment.objects.filter(organization_id=self.organization_id)
            .select_related("blueprint")
            .prefetch_related("departments", "members")
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        totals = {a.pk: [0, 0, 0] for a in page}
        if page:
            for c in assignment_completion(organization_id=self.organization_id, assignment_ids=list(totals)):
                row = totals[c.assignment_id]
                row[0], row[1], row[2] = row[0] + c.targets, row[1] + c.done, row[2] + c.done_on_time
        for a in page:
            a.targets, a.done, a.done_on_time = totals[a.pk]
        return page


class AssignmentMemberSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="pk")
    department = serializers.IntegerField(source="department_id", allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True, help_text="First submitted attempt that counts")

    class Meta:
        model = Membership
        fields = ["member", "employee_code", "department", "done_at"]


class AssignmentMembersView(OrganizationAPIView, generics.ListAPIView):
    """Who an assignment is for, and when each of them did it (null: not yet)."""

    serializer_class = AssignmentMemberSerializer
    pagination_class = Cursor

    def get_queryset(self):
        if self.organization_id is None:
            return Membership.objects.none()
        assignment = assignment_of(organization_id=self.organization_id, assignment_id=self.kwargs["pk"])
        return assignment_targets(assignment=assignment).order_by()


class RealResultFilter(django_filters.FilterSet):
    member = IdFilter(method="filter_member", help_text="Membership id")
    exam = django_filters.CharFilter(field_name="exam__code")
    session = django_filters.CharFilter()
    passed = django_filters.BooleanFilter()
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = RealResult
        fields = []

    def filter_member(self, queryset, name, value):
        return queryset.filter(member_id=value)


class RealResultSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id")
    exam = serializers.CharField(source="exam.code")

    class Meta:
        model = RealResult
        fields = ["id", "member", "exam", "session", "taken_on", "passed", "updated_at"]


class RealResultListView(OrganizationAPIView, generics.ListAPIView):
    """Real JDLA exam results recorded by members (or HR), for real pass rates beside mock readiness."""

    serializer_class = RealResultSerializer
    pagination_class = AttemptCursor
    filter_backends = [DjangoFilterBackend]
    filterset_class = RealResultFilter

    def get_queryset(self):
        return _of_members(RealResult.objects.all(), self.organization_id, "created_at").select_related("exam")
