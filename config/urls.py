from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.forms import CompanyAwareAdminLoginForm
from ops.views import healthz, metrics, ping

# Moshi's name, not Django's, above the admin that authors live in.
admin.site.site_header = admin.site.site_title = _("Moshi 管理画面")
# The admin's password login refuses addresses whose organization requires SSO, as the site's login does.
admin.site.login_form = CompanyAwareAdminLoginForm

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("ping", ping, name="ping"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("scim/v2/", include("api.scim.urls")),  # provisioning from the organization's identity provider
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script for the CSP to refuse.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    # Company pages moved under /org/ with the hr app; old links keep working.
    path("exams/assignments/", RedirectView.as_view(pattern_name="hr:assignments", permanent=True)),
    path("exams/assignments/<int:assignment_id>/", RedirectView.as_view(pattern_name="hr:assignment_detail")),
    path("exams/real-results/", RedirectView.as_view(pattern_name="hr:real_results", query_string=True)),
    path("exams/", include("exams.urls")),
    path("study/", include("study.urls")),
    path("", include("analytics.urls")),
    path("", include("accounts.urls")),
    path("", include("organizations.urls")),
    path("", include("hr.urls")),
    path("", include("audit.urls")),
    path("", include("privacy.urls")),
]
