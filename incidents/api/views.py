"""The incident API: a collection, a detail and one POST per SOP (API.md).

Views only parse, call the service and render; services decide everything else.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from communications.models import Communication
from core.api.lookups import ReferenceLookupMixin
from core.errors import not_found, validation_error
from incidents import services
from incidents.api import serializers as s
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident, VendorEngagement
from incidents.related import related_api
from incidents.selectors import (
    attach_people,
    communication_visible_to,
    incident_rows_queryset,
    incident_visible_to,
    incidents_visible_count,
    incidents_visible_to,
    sees_work_notes,
)
from incidents.services.reads import NOT_FILTERS
from operations.api import expected_version

PAGING = frozenset({"page", "page_size", "format"})
# what a list row does not read: the long texts it leaves to the detail, and the SLA
# engine's own bookkeeping (markers, pauses, the next check), a dozen timestamps a row that
# PostgreSQL's driver would parse for nothing
SLA_BOOKKEEPING = (
    "paused_since", "paused_seconds", "sla_paused_minutes", "sla_next_check_at", "acknowledge_warned_at",
    "acknowledge_breached_at", "resolve_warned_at", "resolve_breached_at", "unassigned_escalated_at",
    "update_missed_for", "pir_escalated_at", "breach_notification_escalated_at",
)  # fmt: skip
LIST_DEFERS = [
    *(f for f in s.LIST_LEAVES_OUT if not Incident._meta.get_field(f).is_relation),
    *SLA_BOOKKEEPING,
]


def _expected_version(request, data: dict) -> int | None:
    return expected_version(request, data, "incident")


class IncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Incidents visible to the caller. Filters: status, priority, category, team, assignee,
    affected_service, detection_source, reporter, created_after, created_before, q."""

    serializer_class = s.IncidentListSerializer
    filterset_class = IncidentFilterSet
    lookup_field = "reference"
    lookup_url_kwarg = "id"

    def get_queryset(self):
        rows = incident_rows_queryset(self.request.user)
        if self.action != "list":
            return rows
        # the long texts a list row leaves to the detail are not read either
        return rows.defer(*LIST_DEFERS).order_by("-created_at", "-id")

    def filter_queryset(self, queryset):
        if set(self.request.query_params) <= PAGING:  # the plain list: no filter set to build
            return queryset
        return super().filter_queryset(queryset)

    def known_count(self, request) -> int | None:
        """The count of the plain list (no filter) comes from the tallies (StandardPagination)."""
        if self.action != "list" or any(k not in NOT_FILTERS for k in request.query_params):
            return None
        return incidents_visible_count(request.user)

    def _find(self, reference: str) -> Incident | None:
        # the unique reference: no ORDER BY (first() would add one on the primary key)
        found = list(incident_rows_queryset(self.request.user).filter(reference=reference)[:1])
        return attach_people(found[0]) if found else None

    def get_object(self):
        incident = self._find(self.kwargs["id"])
        if incident is None:
            raise not_found(f"Incident {self.kwargs['id']}")
        return incident

    def _detail(self, request, reference: str, code=status.HTTP_200_OK, saved=None, **extra) -> Response:
        """The incident as the caller now sees it: ``saved``, the object an operation has
        just saved and committed (current, no need to read it again), or read afresh."""
        if saved is not None:
            incident = attach_people(saved) if incident_visible_to(request.user, saved) else None
        else:
            incident = self._find(reference)
        if incident is None:
            # the operation succeeded but took the incident out of the caller's sight
            # (categorized as security): say so rather than show what they may not see
            return Response(
                {"id": reference, "visible": False,
                 "detail": f"{reference} was updated; it is now restricted and no longer visible to you."},
                status=code,
            )  # fmt: skip
        body = s.IncidentDetailSerializer(incident, context={"request": request}).data
        body.update(related_api(incident, request.user))
        body.update(extra)
        response = Response(body, status=code)
        response["ETag"] = f'"{incident.version}"'
        return response

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        services.incidents_record_lookup(actor=request.user, params=request.query_params, via="api")
        services.incidents_record_list_read(incidents=page, actor=request.user)
        attach_people(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        incident = self.get_object()
        services.incident_record_read(incident=incident, actor=request.user)
        body = s.IncidentDetailSerializer(incident, context={"request": request}).data
        body.update(related_api(incident, request.user))
        response = Response(body)
        response["ETag"] = f'"{incident.version}"'
        return response

    @extend_schema(request=s.IncidentCreateSerializer, responses={201: s.IncidentDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = s.IncidentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident, duplicates = services.incident_create(actor=request.user, **data.validated_data)
        services.incidents_record_list_read(incidents=duplicates, actor=request.user, via="duplicates")
        return self._detail(
            request,
            incident.reference,
            code=status.HTTP_201_CREATED,
            saved=incident,
            possible_duplicates=s.DuplicateSerializer(duplicates, many=True).data,
        )

    @extend_schema(request=s.IncidentEditSerializer, responses={200: s.IncidentDetailSerializer})
    def partial_update(self, request, id=None):
        if "status" in request.data:
            raise validation_error(
                "status changes only through the incident's actions "
                "(assign/, escalate/, resolve/, close/, …).",
                status="Read-only; use an action.",
            )
        return self._act(request, id, s.IncidentEditSerializer, services.incident_edit)

    def _act(self, request, reference, serializer_class, service, rename=None, **fixed):
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        expected = _expected_version(request, values)
        values.pop("version", None)
        for old, new in (rename or {}).items():
            if old in values:
                values[new] = values.pop(old)
        result = service(incident=reference, actor=request.user, expected_version=expected, **values, **fixed)
        saved = result[0] if isinstance(result, tuple) else result
        if not isinstance(saved, Incident) or saved.reference != reference:
            saved = None  # the operation returns something else (communicate/, comment/): read it
        return self._detail(request, reference, saved=saved)

    def _action_schema(serializer):  # noqa: N805 - a decorator factory used in the class body
        # the error responses (400, 401, …) are added to every operation by core.api.schema
        return extend_schema(request=serializer, responses={200: s.IncidentDetailSerializer})

    @_action_schema(s.LogSerializer)
    @action(detail=True, methods=["post"])
    def log(self, request, id=None):
        return self._act(request, id, s.LogSerializer, services.incident_log)

    @_action_schema(s.CategorizeSerializer)
    @action(detail=True, methods=["post"])
    def categorize(self, request, id=None):
        return self._act(request, id, s.CategorizeSerializer, services.incident_categorize)

    @_action_schema(s.PrioritizeSerializer)
    @action(detail=True, methods=["post"])
    def prioritize(self, request, id=None):
        return self._act(request, id, s.PrioritizeSerializer, services.incident_prioritize)

    @_action_schema(s.AssignSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, id=None):
        return self._act(request, id, s.AssignSerializer, services.incident_assign)

    @_action_schema(s.DiagnoseSerializer)
    @action(detail=True, methods=["post"])
    def diagnose(self, request, id=None):
        return self._act(request, id, s.DiagnoseSerializer, services.incident_diagnose)

    @_action_schema(s.EscalateSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, id=None):
        return self._act(request, id, s.EscalateSerializer, services.incident_escalate)

    @_action_schema(s.EngageVendorSerializer)
    @action(detail=True, methods=["post"], url_path="engage-vendor")
    def engage_vendor(self, request, id=None):
        return self._act(request, id, s.EngageVendorSerializer, services.incident_engage_vendor)

    @_action_schema(s.NoteSerializer)
    @action(detail=True, methods=["post"], url_path="vendor-responded")
    def vendor_responded(self, request, id=None):
        return self._act(request, id, s.NoteSerializer, services.incident_vendor_responded)

    @_action_schema(s.ResolveSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, id=None):
        return self._act(request, id, s.ResolveSerializer, services.incident_resolve)

    @_action_schema(s.CommunicateSerializer)
    @action(detail=True, methods=["post"])
    def communicate(self, request, id=None):
        return self._act(request, id, s.CommunicateSerializer, services.incident_communicate)

    @_action_schema(s.CommentSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, id=None):
        return self._act(request, id, s.CommentSerializer, services.incident_comment)

    @_action_schema(s.NoteSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, id=None):
        return self._act(request, id, s.NoteSerializer, services.incident_confirm)

    @_action_schema(s.ReopenSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, id=None):
        return self._act(request, id, s.ReopenSerializer, services.incident_reopen)

    @_action_schema(s.CloseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, id=None):
        return self._act(request, id, s.CloseSerializer, services.incident_close)

    @_action_schema(s.MajorRolesSerializer)
    @action(detail=True, methods=["post"], url_path="major-roles")
    def major_roles(self, request, id=None):
        return self._act(request, id, s.MajorRolesSerializer, services.incident_set_major_roles)

    @extend_schema(request=None, responses={200: s.CommunicationSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def communications(self, request, id=None):
        incident = self.get_object()
        services.incident_record_read(incident=incident, actor=request.user)
        rows = Communication.objects.filter(subject_ref=incident.reference).select_related("sender")
        rows = rows.prefetch_related("deliveries")
        rows = [c for c in rows.order_by("created_at") if communication_visible_to(request.user, c)]
        context = {"staff": sees_work_notes(request.user), "viewer": request.user}
        return Response(s.CommunicationSerializer(rows, many=True, context=context).data)


class VendorEngagementViewSet(
    ReferenceLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Vendor engagements on the incidents the caller may see."""

    serializer_class = s.VendorEngagementSerializer
    reference_label = "Vendor engagement"
    filterset_fields = []

    def get_queryset(self):
        return (
            VendorEngagement.objects.filter(incident__in=incidents_visible_to(self.request.user))
            .select_related("incident", "vendor", "engaged_by")
            .order_by("-engaged_at")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        services.incidents_record_list_read(
            incidents=[engagement.incident for engagement in page],
            actor=request.user,
            via="vendor-engagements",
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        engagement = self.get_object()
        services.incident_record_read(incident=engagement.incident, actor=request.user)
        return Response(self.get_serializer(engagement).data)
