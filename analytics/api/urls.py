from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("organization", views.OrganizationSummaryView.as_view(), name="organization"),
    path("departments", views.DepartmentListView.as_view(), name="departments"),
    path("members", views.MemberListView.as_view(), name="members"),
    path("members/<int:pk>", views.MemberDetailView.as_view(), name="member"),
    path("attempts", views.AttemptListView.as_view(), name="attempts"),
]
