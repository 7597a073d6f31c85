from rest_framework import viewsets

from audit.api.serializers import AuditEventSerializer
from audit.filtersets import AuditEventFilterSet
from audit.models import AuditEvent
from audit.services import audit_trail_read
from core.api.permissions import IsAuditReader


def query_filters(params) -> dict:
    """The query parameters of a read, for its audit event (a repeated one as a list)."""
    return {key: values[0] if len(values) == 1 else values for key, values in params.lists()}


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, newest first. Auditors, incident managers and admins only; each
    list or detail read is itself audited, after the page is built (so it shows the
    trail as it was when asked)."""

    queryset = AuditEvent.objects.order_by("-seq")
    serializer_class = AuditEventSerializer
    permission_classes = [IsAuditReader]
    filterset_class = AuditEventFilterSet
    lookup_field = "seq"

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_trail_read(actor=request.user, via="api", filters=query_filters(request.query_params))
        return response

    def retrieve(self, request, *args, **kwargs):
        event = self.get_object()
        response = super().retrieve(request, *args, **kwargs)
        audit_trail_read(actor=request.user, via="api", event=event)
        return response
