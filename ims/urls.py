from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from incidents import views as incident_views

urlpatterns = [
    path("", incident_views.home, name="home"),
    path("", include("incidents.urls")),
    path("", include("problems.urls")),
    path("", include("changes.urls")),
    path("", include("reviews.urls")),
    path("", include("knowledge.urls")),
    path("", include("tooling.urls")),
    path("", include("simulations.urls")),
    path("", include("monitoring.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("ims.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves its start-up script as a file: no inline script for the CSP
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/docs.html"),
        name="api-docs",
    ),
    # last: any other /api/ URL is the not_found envelope, in DEBUG mode too
    re_path(r"^api/(?P<rest>.*)$", core_views.api_catch_all, name="api-not-found"),
]

handler404 = "core.views.api_not_found"
handler500 = "core.views.server_error"
