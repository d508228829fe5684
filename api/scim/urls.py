from django.urls import re_path

from . import views
from .errors import not_found

app_name = "scim"

# Providers append paths to the tenant URL with or without a trailing slash; both are the same resource.
urlpatterns = [
    re_path(r"^ServiceProviderConfig/?$", views.ServiceProviderConfigView.as_view(), name="service_provider_config"),
    re_path(r"^ResourceTypes/?$", views.ResourceTypesView.as_view(), name="resource_types"),
    re_path(r"^ResourceTypes/(?P<name>[^/]+)/?$", views.ResourceTypesView.as_view(), name="resource_type"),
    re_path(r"^Schemas/?$", views.SchemasView.as_view(), name="schemas"),
    re_path(r"^Schemas/(?P<urn>[^/]+)/?$", views.SchemasView.as_view(), name="schema"),
    re_path(r"^Users/?$", views.UsersView.as_view(), name="users"),
    re_path(r"^Users/(?P<pk>[^/]+)/?$", views.UserView.as_view(), name="user"),
    re_path(r"^Groups/?$", views.GroupsView.as_view(), name="groups"),
    re_path(r"^Groups/(?P<pk>[^/]+)/?$", views.GroupView.as_view(), name="group"),
    re_path(r"^.*$", not_found),  # last: unknown paths answer in SCIM's error format
]
