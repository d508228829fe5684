from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("results/", views.history, name="history"),
    path("results/<int:attempt_id>/", views.attempt_result, name="attempt_result"),
]
