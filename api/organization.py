"""The token's organization, its departments and members."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations import selectors
from organizations.models import Department, Membership

from .base import OrganizationAPIView
from .pagination import Cursor


class OrganizationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    members = serializers.IntegerField(help_text="Active members")
    departments = serializers.IntegerField()


class OrganizationSummaryView(OrganizationAPIView, APIView):
    @extend_schema(responses=OrganizationSummarySerializer, summary="The token's organization")
    def get(self, request):
        return Response(OrganizationSummarySerializer(selectors.organization_summary(self.organization_id)).data)


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "parent"]


class DepartmentListView(OrganizationAPIView, generics.ListAPIView):
    serializer_class = DepartmentSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return selectors.departments_of(organization_id=self.organization_id)


class MemberSerializer(serializers.ModelSerializer):
    # A member whose personal data was removed is 退会者 with no email (docs/privacy.md).
    email = serializers.CharField(source="shown_email")
    name = serializers.SerializerMethodField()
    department = serializers.CharField(source="department.name", default=None, allow_null=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "employee_code", "role", "department", "is_active", "joined_at"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, membership) -> str:
        return membership.shown_name if membership.is_anonymized else membership.user.display_name


class MemberListView(OrganizationAPIView, generics.ListAPIView):
    serializer_class = MemberSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return selectors.members_of(organization_id=self.organization_id, active=None)


class MemberDetailView(OrganizationAPIView, generics.RetrieveAPIView):
    serializer_class = MemberSerializer

    def get_queryset(self):
        return selectors.members_of(organization_id=self.organization_id, active=None)
