from django.urls import path

from . import views

app_name = "study"

urlpatterns = [
    path("", views.study_home, name="home"),
    path("today/", views.todays_set, name="today"),
    path("review/", views.review, name="review"),
    path("sessions/<int:session_id>/", views.session_page, name="session"),
    path("notes/", views.notes_page, name="notes"),
    path("questions/<int:question_id>/note/", views.note_save, name="note"),
    path("log/", views.log_page, name="log"),
    path("plan/", views.plan_page, name="plan"),
    path("search/", views.search_page, name="search"),
    path("glossary/", views.glossary_page, name="glossary"),
    path("glossary/term/", views.term_page, name="term"),
]
