from django.contrib import admin
from django.urls import include, path

from ops.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("exams/", include("exams.urls")),
    path("", include("analytics.urls")),
    path("", include("accounts.urls")),
]
