"""The REST API under /api/v1/: one router, each app registering its viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from audit.api.views import AuditEventViewSet
from catalog.api.views import ServiceViewSet, VendorViewSet
from changes.api.views import ChangeViewSet, incident_link_change
from incidents.api.views import IncidentViewSet, VendorEngagementViewSet
from knowledge.api.urls import incident_kb_paths
from knowledge.api.views import ArticleViewSet
from monitoring.api.views import AlertmanagerView, EventViewSet
from problems.api import views as problem_api
from reviews.api.views import ReviewViewSet
from simulations.api.views import SimulationViewSet
from sla.api.views import SlaPolicyViewSet
from tooling.api.views import ToolUsageViewSet


class ImsRouter(DefaultRouter):
    include_format_suffixes = False


router = ImsRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("vendor-engagements", VendorEngagementViewSet, basename="vendor-engagement")
router.register("services", ServiceViewSet, basename="service")
router.register("vendors", VendorViewSet, basename="vendor")
router.register("sla-policies", SlaPolicyViewSet, basename="sla-policy")
router.register("audit", AuditEventViewSet, basename="audit")
router.register("problems", problem_api.ProblemViewSet, basename="problem")
router.register("changes", ChangeViewSet, basename="change")
router.register("pirs", ReviewViewSet, basename="pir")
router.register("kb", ArticleViewSet, basename="kb-article")
router.register("tool-usages", ToolUsageViewSet, basename="tool-usage")
router.register("simulations", SimulationViewSet, basename="simulation")
router.register("events", EventViewSet, basename="event")

urlpatterns = [
    path("incidents/<str:id>/link-problem/", problem_api.link_problem, name="incident-link-problem-api"),
    path("incidents/<str:id>/link-change/", incident_link_change, name="incident-link-change-api"),
    path("integrations/alertmanager/", AlertmanagerView.as_view(), name="alertmanager-webhook"),
    *router.urls,
    *incident_kb_paths,  # link-kb/, kb-update/
]
