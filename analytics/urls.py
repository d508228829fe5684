from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("results/", views.history, name="history"),
    path("results/<int:attempt_id>/", views.attempt_result, name="attempt_result"),
    path("org/dashboard/", views.org_dashboard, name="org_dashboard"),
    path("org/dashboard/<str:view>.csv", views.org_dashboard_csv, name="org_dashboard_csv"),
]
