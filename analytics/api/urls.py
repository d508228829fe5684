from django.urls import path, re_path

from . import views
from .errors import not_found

app_name = "api"

urlpatterns = [
    path("organization", views.OrganizationSummaryView.as_view(), name="organization"),
    path("departments", views.DepartmentListView.as_view(), name="departments"),
    path("members", views.MemberListView.as_view(), name="members"),
    path("members/<int:pk>", views.MemberDetailView.as_view(), name="member"),
    path("attempts", views.AttemptListView.as_view(), name="attempts"),
    path("pass-rates", views.PassRateView.as_view(), name="pass_rates"),
    path("weaknesses", views.WeaknessView.as_view(), name="weaknesses"),
    path("assignments", views.AssignmentListView.as_view(), name="assignments"),
    path("assignments/<int:pk>/members", views.AssignmentMembersView.as_view(), name="assignment_members"),
    path("real-results", views.RealResultListView.as_view(), name="real_results"),
    re_path(r"^.*$", not_found),  # last: unknown paths and malformed ids answer in the API's error format
]
