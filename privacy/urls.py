from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("accounts/my-data/", views.my_data, name="my_data"),
    path("accounts/my-data/export.json", views.my_data_export, name="export"),
    path("accounts/delete/", views.account_delete, name="account_delete"),
    path("org/members/<int:membership_id>/remove-data/", views.member_remove_data, name="member_remove_data"),
]
