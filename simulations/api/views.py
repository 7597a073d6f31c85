"""The simulation API: ``/api/v1/simulations/`` (incident managers; auditors read): list,
detail, create, and one POST per operation. Views only parse, call the service and render."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from operations.api import GovernedViewSet
from simulations import services
from simulations.api import serializers as s
from simulations.filtersets import SimulationFilterSet
from simulations.models import DrillIncident, FollowUp
from simulations.selectors import simulation_rows


def _schema(serializer):
    return extend_schema(request=serializer, responses={200: s.SimulationDetailSerializer})


class SimulationViewSet(GovernedViewSet):
    """Simulations. Filters: status, participant, created_after, created_before, q."""

    governed = services.SIMULATIONS
    serializer_class = s.SimulationListSerializer
    detail_serializer_class = s.SimulationDetailSerializer
    filterset_class = SimulationFilterSet
    subject = "simulation"

    def get_queryset(self):
        rows = simulation_rows(self.request.user)
        if self.action != "list":
            rows = rows.prefetch_related(
                "participants",
                "injects",
                Prefetch("follow_ups", queryset=FollowUp.objects.select_related("owner")),
                Prefetch("drills", queryset=DrillIncident.objects.select_related("incident")),
            )
        return rows

    @extend_schema(request=s.SimulationCreateSerializer, responses={201: s.SimulationDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = s.SimulationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.created(services.simulation_create(actor=request.user, **data.validated_data))

    @_schema(s.SimulationVersionSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, id=None):
        return self.act(request, id, s.SimulationVersionSerializer, services.simulation_start)

    @_schema(s.SimulationInjectSerializer)
    @action(detail=True, methods=["post"], url_path="add-inject")
    def add_inject(self, request, id=None):
        return self.act(request, id, s.SimulationInjectSerializer, services.simulation_add_inject)

    @_schema(s.SimulationCompleteSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, id=None):
        return self.act(request, id, s.SimulationCompleteSerializer, services.simulation_complete)

    @_schema(s.SimulationFollowUpSerializer)
    @action(detail=True, methods=["post"], url_path="add-follow-up")
    def add_follow_up(self, request, id=None):
        return self.act(request, id, s.SimulationFollowUpSerializer, services.simulation_add_follow_up)

    @_schema(s.SimulationDrillIncidentSerializer)
    @action(detail=True, methods=["post"], url_path="drill-incident")
    def drill_incident(self, request, id=None):
        """Opens an incident inside the running simulation (the incident create rules),
        flagged is_drill."""
        return self.act(request, id, s.SimulationDrillIncidentSerializer, services.simulation_drill_incident)
