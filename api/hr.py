"""The company side over the API: mock pass rates, weaknesses by area, assignments and real results."""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hr import reports, selectors
from hr.models import Assignment, RealResult
from organizations.models import Membership
from questions.models import Exam

from .attempts import with_member
from .base import (
    EXAM_CODES,
    BlueprintSlugField,
    Choice,
    ChoiceList,
    DepartmentIdField,
    MonthField,
    OrganizationAPIView,
)
from .filters import RealResultFilter
from .pagination import Cursor, UpdatedCursor

GROUP_BY = ["department", "blueprint", "month"]
GROUP_BY_PATTERN = r"^(department|blueprint|month)(,(department|blueprint|month))*$"


@extend_schema_field({"type": "string", "pattern": GROUP_BY_PATTERN, "default": "department"})
class GroupByField(ChoiceList):
    def __init__(self, **kwargs):
        super().__init__(choices=GROUP_BY, **kwargs)


class PassRateQuery(serializers.Serializer):
    group_by = GroupByField(default="department", help_text="Comma-separated: any of department, blueprint, month")
    exam = Choice(choices=EXAM_CODES, required=False, help_text="Exam code, e.g. g_kentei")
    blueprint = BlueprintSlugField(required=False, help_text="Blueprint slug, e.g. g-kentei-online")
    department = DepartmentIdField(required=False, help_text="Department id (0: none)")
    since = MonthField(required=False, help_text="First month, YYYY-MM")
    until = MonthField(required=False, help_text="Last month, YYYY-MM")


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

    query_class = PassRateQuery

    @extend_schema(
        parameters=[PassRateQuery],
        responses=_results_of(PassRateSerializer, "PassRates"),
        examples=[PASS_RATE_EXAMPLE],
        summary="Mock pass rates grouped by department, blueprint and/or month",
    )
    def get(self, request):
        q = self.parse_query(request)
        rows = reports.pass_rates(
            organization_id=self.organization_id,
            group_by=q["group_by"],
            exam_code=q.get("exam"),
            blueprint=q.get("blueprint"),
            department_id=q.get("department"),
            since=q.get("since"),
            until=q.get("until"),
        )
        fields = {"department": ("department_id", "department"), "blueprint": ("blueprint",), "month": ("month",)}
        shown = {f for g in q["group_by"] for f in fields[g]} | {"attempts", "passed", "pass_rate", "mean_score"}
        # Plain dicts: a serializer per row would cost more than the query (600 rows for 50 departments × 12
        # months); PassRateSerializer describes the same fields for the schema.
        fields = [f for f in PassRateSerializer().fields if f in shown]
        data = [{f: getattr(r, f) for f in fields} for r in rows]
        return Response({"results": data})


class WeaknessQuery(serializers.Serializer):
    exam = Choice(choices=EXAM_CODES, help_text="Exam code, e.g. g_kentei")
    department = DepartmentIdField(required=False, help_text="Department id (0: none)")
    since = MonthField(required=False, help_text="First month, YYYY-MM")
    level = Choice(choices=["top", "leaf"], default="top", help_text="Syllabus level")


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
            {
                "department_id": 3,
                "department": "営業部",
                "area_code": "G6",
                "area": "ディープラーニングの応用例",
                "correct": 412,
                "total": 864,
                "rate": 0.477,
                "organization_rate": 0.612,
                "gap": -0.135,
            }
        ]
    },
    response_only=True,
)


class WeaknessView(OrganizationAPIView, APIView):
    """Correct rate per department and syllabus area beside the organization's; weakest first."""

    query_class = WeaknessQuery

    @extend_schema(
        parameters=[WeaknessQuery],
        responses=_results_of(WeaknessSerializer, "Weaknesses"),
        examples=[WEAKNESS_EXAMPLE],
        summary="Syllabus areas by department, weakest first",
    )
    def get(self, request):
        q = self.parse_query(request)
        rows = reports.weaknesses(
            organization_id=self.organization_id,
            exam_code=q["exam"],
            since=q.get("since"),
            department_id=q.get("department"),
            leaves=q["level"] == "leaf",
        )
        fields = list(WeaknessSerializer().fields)  # plain dicts, as for pass rates
        return Response({"results": [{f: getattr(r, f) for f in fields} for r in rows]})


class ExpectedPassesQuery(serializers.Serializer):
    exam = Choice(choices=EXAM_CODES, default=Exam.G_KENTEI, help_text="Exam code, e.g. g_kentei")


class ExpectedPassesSerializer(serializers.Serializer):
    department_id = serializers.IntegerField(
        allow_null=True, help_text="null: the whole organization; 0: no department"
    )
    department = serializers.CharField()
    sitting = serializers.IntegerField(
        help_text="Members expected to sit the next real exam: a full mock within 180 days, not yet passed for real"
    )
    expected_passes = serializers.FloatField(allow_null=True, help_text="Sum of their latest pass probabilities")
    low = serializers.FloatField(allow_null=True, help_text="80% interval, lower end")
    high = serializers.FloatField(allow_null=True, help_text="80% interval, upper end")


class ExpectedPassesView(OrganizationAPIView, APIView):
    """Expected passes at the next real exam per department, with an 80% interval, and for the organization
    (the last row, department_id null)."""

    query_class = ExpectedPassesQuery

    @extend_schema(
        parameters=[ExpectedPassesQuery],
        responses=_results_of(ExpectedPassesSerializer, "ExpectedPassesList"),
        examples=[
            OpenApiExample(
                "営業部, then the organization",
                value={
                    "results": [
                        {
                            "department_id": 3,
                            "department": "営業部",
                            "sitting": 12,
                            "expected_passes": 7.4,
                            "low": 5.1,
                            "high": 9.6,
                        },
                        {
                            "department_id": None,
                            "department": "デモ株式会社",
                            "sitting": 30,
                            "expected_passes": 21.2,
                            "low": 17.9,
                            "high": 24.4,
                        },
                    ]
                },
                response_only=True,
            )
        ],
        summary="Expected passes at the next real exam, by department",
    )
    def get(self, request):
        q = self.parse_query(request)
        exam = Exam.objects.filter(code=q["exam"]).first()
        if exam is None:
            return Response({"results": []})
        total, lines = reports.by_department(organization_id=self.organization_id, exam_id=exam.pk)
        total.label = _("組織全体")
        return Response({"results": [_expected_passes(line) for line in [*lines, total]]})


def _expected_passes(figures: reports.Figures) -> dict:
    expected, low, high = figures.expected_passes or (None, None, None)
    return {
        "department_id": figures.key,
        "department": figures.label,
        "sitting": figures.sitting,
        "expected_passes": expected,
        "low": low,
        "high": high,
    }


# --- Assignments and real results -----------------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    blueprint = serializers.CharField(source="blueprint.slug")
    departments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    drill_areas = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="A drill assignment's syllabus areas, e.g. G4.2"
    )
    due_on = serializers.DateField()
    opens_on = serializers.DateField()
    targets = serializers.IntegerField(help_text="Active members it is for")
    done = serializers.IntegerField(help_text="Of them, who submitted an attempt that counts")
    done_on_time = serializers.IntegerField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "blueprint",
            "departments",
            "members",
            "drill_areas",
            "drill_count",
            "opens_on",
            "due_on",
            "note",
            "hold_keys",
            "targets",
            "done",
            "done_on_time",
            "created_at",
            "updated_at",
        ]


@extend_schema_view(
    get=extend_schema(
        summary="Assignments with completion",
        examples=[
            OpenApiExample(
                "G検定 for 営業部 by 12/20",
                value={
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 7,
                            "blueprint": "g-kentei-online",
                            "departments": [3],
                            "members": [],
                            "drill_areas": [],
                            "drill_count": None,
                            "opens_on": "2026-11-01",
                            "due_on": "2026-12-20",
                            "note": "",
                            "hold_keys": False,
                            "targets": 48,
                            "done": 31,
                            "done_on_time": 31,
                            "created_at": "2026-11-01T09:00:00+09:00",
                            "updated_at": "2026-11-01T09:00:00+09:00",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
)
class AssignmentListView(OrganizationAPIView, generics.ListAPIView):
    serializer_class = AssignmentSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return selectors.organization_assignments(organization_id=self.organization_id)

    def paginate_queryset(self, queryset):
        return selectors.with_completion(self.organization_id, super().paginate_queryset(queryset))


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
        assignment = selectors.assignment_of(organization_id=self.organization_id, assignment_id=self.kwargs["pk"])
        return selectors.assignment_targets(assignment=assignment).order_by()


class RealResultSerializer(serializers.ModelSerializer):
    member = serializers.IntegerField(source="member_id")
    exam = serializers.CharField(source="exam.code")

    class Meta:
        model = RealResult
        fields = ["id", "member", "exam", "session", "taken_on", "passed", "updated_at"]


class RealResultListView(OrganizationAPIView, generics.ListAPIView):
    """Real JDLA exam results recorded by members (or HR), for real pass rates beside mock readiness."""

    serializer_class = RealResultSerializer
    pagination_class = UpdatedCursor
    filter_backends = [DjangoFilterBackend]
    filterset_class = RealResultFilter

    def get_queryset(self):
        real_results = selectors.organization_real_results(organization_id=self.organization_id)
        return with_member(real_results).select_related("exam")
