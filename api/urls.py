from django.urls import path, re_path

from . import attempts, hr, organization
from .errors import not_found

app_name = "api"

urlpatterns = [
    path("organization", organization.OrganizationSummaryView.as_view(), name="organization"),
    path("departments", organization.DepartmentListView.as_view(), name="departments"),
    path("members", organization.MemberListView.as_view(), name="members"),
    path("members/<int:pk>", organization.MemberDetailView.as_view(), name="member"),
    path("attempts", attempts.AttemptListView.as_view(), name="attempts"),
    path("pass-rates", hr.PassRateView.as_view(), name="pass_rates"),
    path("weaknesses", hr.WeaknessView.as_view(), name="weaknesses"),
    path("expected-passes", hr.ExpectedPassesView.as_view(), name="expected_passes"),
    path("assignments", hr.AssignmentListView.as_view(), name="assignments"),
    path("assignments/<int:pk>/members", hr.AssignmentMembersView.as_view(), name="assignment_members"),
    path("real-results", hr.RealResultListView.as_view(), name="real_results"),
    re_path(r"^.*$", not_found),  # last: unknown paths and malformed ids answer in the API's error format
]
