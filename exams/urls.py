from django.urls import path

from . import views

app_name = "exams"

urlpatterns = [
    path("", views.blueprint_list, name="blueprint_list"),
    path("attempts/<int:attempt_id>/", views.attempt_page, name="attempt"),
    path("attempts/<int:attempt_id>/save", views.attempt_save, name="attempt_save"),
    path("attempts/<int:attempt_id>/submit", views.attempt_submit, name="attempt_submit"),
    path("attempts/<int:attempt_id>/abandon", views.attempt_abandon, name="attempt_abandon"),
    path("<slug:slug>/", views.blueprint_start, name="start"),  # last: any other name is a blueprint
]
