"""Read-only REST API for HR dashboards. Every query is scoped to the token's organization, so another
organization's ids are simply not found."""

import django_filters
from django.db.models import Count, OuterRef, Q, Subquery
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, pagination, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Department, Membership, Organization
from exams.models import Attempt

from .authentication import BearerTokenAuthentication, IsOrganizationClient, TokenRateThrottle


class OrganizationAPIView:
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsOrganizationClient]
    throttle_classes = [TokenRateThrottle]

    @property
    def organization_id(self) -> int | None:
        # None while drf-spectacular builds the schema with a fake request: querysets are then empty.
        return getattr(self.request.user, "organization_id", None)


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
    department = serializers.CharField(source="department.name", default=None)

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


class AttemptCursor(pagination.CursorPagination):
    """Ordered by last change, so a dashboard can sync with updated_since and keep the last cursor."""

    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"
    ordering = ("updated_at", "pk")


class AttemptFilter(django_filters.FilterSet):
    member = django_filters.NumberFilter(field_name="member_id", help_text="Membership id")
    department = django_filters.NumberFilter(field_name="department_id")
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
        membership = Membership.objects.filter(organization_id=self.organization_id, user_id=OuterRef("user_id"))
        return (
            Attempt.objects.filter(user__memberships__organization_id=self.organization_id)
            .exclude(status=Attempt.Status.OPEN)
            .annotate(
                member_id=Subquery(membership.values("pk")[:1]),
                department_id=Subquery(membership.values("department_id")[:1]),
            )
            .select_related("blueprint__exam")
        )
