from rest_framework import viewsets

from audit.api.serializers import AuditEventSerializer
from audit.filtersets import AuditEventFilterSet
from audit.models import AuditEvent
from core.api.permissions import IsAuditReader


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, newest first. Auditors, incident managers and admins only."""

    queryset = AuditEvent.objects.order_by("-seq")
    serializer_class = AuditEventSerializer
    permission_classes = [IsAuditReader]
    filterset_class = AuditEventFilterSet
    lookup_field = "seq"
