from django.urls import path

from . import dashboard, views

app_name = "hr"

urlpatterns = [
    path("org/dashboard/", dashboard.org_dashboard, name="org_dashboard"),
    path("org/dashboard/<str:view>.csv", dashboard.org_dashboard_csv, name="org_dashboard_csv"),
    path("org/assignments/", views.assignments, name="assignments"),
    path("org/assignments/new/", views.assignment_new, name="assignment_new"),
    path("org/assignments/reminders/", views.reminder_settings, name="reminder_settings"),
    path("org/assignments/<int:assignment_id>/", views.assignment_detail, name="assignment_detail"),
    path("real-results/", views.real_results, name="real_results"),
]
