from django.urls import path

from . import sso_views, views

urlpatterns = [
    path("org/api-tokens/", views.api_tokens, name="api_tokens"),
    path("org/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("org/members/", views.org_members, name="org_members"),
    path("org/members/<int:membership_id>/", views.org_member, name="org_member"),
    path("org/departments/", views.org_departments, name="org_departments"),
    path("join/<str:key>/", views.join, name="join"),
    # Single sign-on: settings for org admins, then the sign-in through an organization's IdP.
    path("org/sso/", sso_views.org_sso, name="org_sso"),
    path("org/sso/new/<str:protocol>/", sso_views.org_sso_idp, name="org_sso_idp_new"),
    path("org/sso/<int:idp_id>/", sso_views.org_sso_idp, name="org_sso_idp"),
    path("sso/start/", sso_views.sso_discover, name="sso_discover"),
    path("sso/<int:idp_id>/login/", sso_views.sso_login, name="sso_login"),
    path("sso/saml/<int:idp_id>/acs/", sso_views.saml_acs, name="saml_acs"),
    path("sso/saml/<int:idp_id>/metadata/", sso_views.saml_metadata, name="saml_metadata"),
    path("sso/oidc/<int:idp_id>/callback/", sso_views.oidc_callback, name="oidc_callback"),
]
