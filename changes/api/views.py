"""The change API (API.md): ``/api/v1/changes/`` and its actions, and the incident's
``link-change/``. Views only parse, call the service and render."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action, api_view
from rest_framework.response import Response

from changes import services
from changes.api import serializers as s
from changes.filtersets import ChangeFilterSet
from changes.selectors import change_detail_queryset, change_rows
from changes.services import CHANGES
from core.errors import not_found
from incidents.api.serializers import IncidentDetailSerializer
from incidents.related import related_api
from incidents.selectors import attach_people, incident_rows_queryset
from operations.api import GovernedViewSet, expected_version


class ChangeViewSet(GovernedViewSet):
    """Changes visible to the caller (staff). Filters: status, type, risk, affected_service,
    requester, created_after, created_before, q (summary and description, or CHG-… exactly)."""

    governed = CHANGES
    subject = "change"
    serializer_class = s.ChangeSerializer
    detail_serializer_class = s.ChangeDetailSerializer
    filterset_class = ChangeFilterSet

    def get_queryset(self):
        if self.action == "list":
            return change_rows(CHANGES.visible_to(self.request.user))
        return change_detail_queryset(self.request.user)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        services.changes_record_lookup(actor=request.user, params=request.query_params, via="api")
        return response

    @extend_schema(request=s.ChangeCreateSerializer, responses={201: s.ChangeDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ChangeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.created(services.change_create(actor=request.user, **data.validated_data))

    def _action_schema(serializer):  # noqa: N805 - a decorator factory used in the class body
        return extend_schema(request=serializer, responses={200: s.ChangeDetailSerializer})

    @_action_schema(s.ChangeApproveSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, id=None):
        return self.act(request, id, s.ChangeApproveSerializer, services.change_approve)

    @_action_schema(s.ChangeRejectSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, id=None):
        return self.act(request, id, s.ChangeRejectSerializer, services.change_reject)

    @_action_schema(s.ChangeImplementSerializer)
    @action(detail=True, methods=["post"])
    def implement(self, request, id=None):
        return self.act(request, id, s.ChangeImplementSerializer, services.change_implement)

    @_action_schema(s.ChangeCloseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, id=None):
        return self.act(request, id, s.ChangeCloseSerializer, services.change_close)


@extend_schema(
    request=s.LinkChangeSerializer,
    responses={200: IncidentDetailSerializer},
    operation_id="incidents_link_change",
)
@api_view(["POST"])
def incident_link_change(request, id: str):
    """SOP 10: link a change to the incident — ``relation`` ``fixes`` (default: an approved,
    standard or emergency-implemented change, else 412 precondition_failed) or ``caused_by``
    (an implemented or closed change; one per incident). ``version`` or ``If-Match``: the
    incident's. Answers the incident as it now is, its ``changes`` included."""
    data = s.LinkChangeSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    expected = expected_version(request, values, "incident")
    values.pop("version", None)
    services.change_link_incident(incident=id, actor=request.user, expected_version=expected, **values)
    return incident_detail(request, id)


def incident_detail(request, reference: str) -> Response:
    """The incident's API detail as its own detail renders it (incidents.api.views)."""
    found = list(incident_rows_queryset(request.user).filter(reference=reference)[:1])
    if not found:
        raise not_found(f"Incident {reference}")
    incident = attach_people(found[0])
    body = IncidentDetailSerializer(incident, context={"request": request}).data
    body.update(related_api(incident, request.user))
    response = Response(body)
    response["ETag"] = f'"{incident.version}"'
    return response
