"""The REST API under /api/v1/: one router, each app registering its viewsets."""

from rest_framework.routers import DefaultRouter

from audit.api.views import AuditEventViewSet
from catalog.api.views import ServiceViewSet, VendorViewSet
from incidents.api.views import IncidentViewSet, VendorEngagementViewSet
from knowledge.api.urls import incident_kb_paths
from knowledge.api.views import ArticleViewSet
from sla.api.views import SlaPolicyViewSet


class ImsRouter(DefaultRouter):
    include_format_suffixes = False


router = ImsRouter()
router.register("incidents", IncidentViewSet, basename="incident")
router.register("vendor-engagements", VendorEngagementViewSet, basename="vendor-engagement")
router.register("services", ServiceViewSet, basename="service")
router.register("vendors", VendorViewSet, basename="vendor")
router.register("sla-policies", SlaPolicyViewSet, basename="sla-policy")
router.register("audit", AuditEventViewSet, basename="audit")
router.register("kb", ArticleViewSet, basename="kb-article")

urlpatterns = router.urls
urlpatterns += incident_kb_paths  # link-kb/, kb-update/
