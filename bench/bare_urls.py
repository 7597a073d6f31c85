"""IMS's URLs plus a bare one-model DRF endpoint, the floor the incident API is compared with.

``/bench/bare/heartbeats/`` is a plain ModelViewSet over core.Heartbeat (two columns, no
services, no audit, no visibility rules); everything else is IMS's own URLconf.
"""

from django.urls import include, path
from rest_framework import serializers, viewsets
from rest_framework.routers import SimpleRouter

from core.models import Heartbeat
from ims.urls import handler404  # noqa: F401 - the same 404 envelope as IMS
from ims.urls import urlpatterns as ims_urlpatterns


class HeartbeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Heartbeat
        fields = ["name", "last_seen"]


class HeartbeatViewSet(viewsets.ModelViewSet):
    queryset = Heartbeat.objects.order_by("name")
    serializer_class = HeartbeatSerializer
    filterset_fields = []


router = SimpleRouter()
router.register("heartbeats", HeartbeatViewSet, basename="bare-heartbeat")

urlpatterns = [path("bench/bare/", include(router.urls)), *ims_urlpatterns]
