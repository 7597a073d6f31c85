"""The problem API (API.md): a collection, a detail, a PATCH and one POST per operation; and
the incident's ``link-problem/``, the same link as the problem's ``link-incident/``.

Views only parse, call the service and render; services decide everything else.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action

from core.errors import validation_error
from incidents.api.serializers import IncidentDetailSerializer
from incidents.api.views import IncidentViewSet
from incidents.services import incidents_record_list_read
from operations.api import GovernedViewSet, expected_version
from problems import services
from problems.api import serializers as s
from problems.filtersets import ProblemFilterSet
from problems.selectors import problem_links_visible_to, problem_rows, stability_window_days


def _action_schema(serializer, description: str | None = None):
    # the error responses (400, 401, …) are added to every operation by core.api.schema
    return extend_schema(
        request=serializer, responses={200: s.ProblemDetailSerializer}, description=description
    )


LINK_NOTE = (
    "One link seen from both records (the incident's link-problem/ is the same operation): a link "
    "event on each. An incident the caller may not see is 404; linking a pair twice is 409 "
    "duplicate and writes nothing."
)


class ProblemViewSet(GovernedViewSet):
    """Problems (staff only). Filters: status, affected_service, owner_team, assignee,
    created_by, incident, created_after, created_before, q (text, or a PRB- reference)."""

    governed = services.PROBLEMS
    serializer_class = s.ProblemListSerializer
    detail_serializer_class = s.ProblemDetailSerializer
    filterset_class = ProblemFilterSet
    subject = "problem"

    def get_queryset(self):
        return problem_rows(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action != "list":
            context["stability_window_days"] = stability_window_days()
        return context

    def detail_response(self, obj, code=status.HTTP_200_OK, **extra):
        """The detail lists the linked incidents the caller may see: security incidents among
        them are read, and audited as such (SPEC.md)."""
        obj.visible_links, obj.hidden_links = problem_links_visible_to(self.request.user, obj)
        incidents_record_list_read(
            incidents=[link.incident for link in obj.visible_links], actor=self.request.user, via="problem"
        )
        return super().detail_response(obj, code, **extra)

    @extend_schema(request=s.ProblemCreateSerializer, responses={201: s.ProblemDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ProblemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.created(services.problem_create(actor=request.user, **data.validated_data))

    @extend_schema(request=s.ProblemUpdateSerializer, responses={200: s.ProblemDetailSerializer})
    def partial_update(self, request, id=None):
        return self.act(request, id, s.ProblemUpdateSerializer, services.problem_update)

    @_action_schema(
        s.StartInvestigationSerializer,
        "From new; or from resolved, reopening the investigation of a fix that did not hold (a note is "
        "required, and the fix is cleared).",
    )
    @action(detail=True, methods=["post"], url_path="start-investigation")
    def start_investigation(self, request, id=None):
        return self.act(request, id, s.StartInvestigationSerializer, services.problem_start_investigation)

    @_action_schema(
        s.RecordWorkaroundSerializer,
        "Makes a problem under investigation a known error: symptom, root cause (each defaulting to the "
        "problem's) and workaround required; writes a workaround KB article in review, linked to the problem "
        "and its incidents.",
    )
    @action(detail=True, methods=["post"], url_path="record-workaround")
    def record_workaround(self, request, id=None):
        return self.act(request, id, s.RecordWorkaroundSerializer, services.problem_record_workaround)

    @_action_schema(s.LinkIncidentSerializer, LINK_NOTE)
    @action(detail=True, methods=["post"], url_path="link-incident")
    def link_incident(self, request, id=None):
        return self.act(request, id, s.LinkIncidentSerializer, services.problem_link_incident)

    @_action_schema(s.ProblemResolveSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, id=None):
        return self.act(request, id, s.ProblemResolveSerializer, services.problem_resolve)

    @_action_schema(
        s.ProblemCloseSerializer,
        "Only after the stability window since resolved (ProblemPolicy, 7 days by default) and only if no "
        "linked incident was created or reopened since: else 412 precondition_failed (fields.closable_from "
        "or fields.recurring).",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, id=None):
        return self.act(request, id, s.ProblemCloseSerializer, services.problem_close)


class IncidentLinkProblemView(IncidentViewSet):
    """``POST /api/v1/incidents/{id}/link-problem/`` (``problem``; ``version``: the
    incident's): the problem's link service, answered with the incident as it now is."""

    @extend_schema(
        request=s.LinkProblemSerializer, responses={200: IncidentDetailSerializer}, description=LINK_NOTE
    )
    def link_problem(self, request, id=None):
        data = s.LinkProblemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        problem = values["problem"].strip().upper()
        if not problem:
            raise validation_error("Name the problem to link.", problem="This field is required.")
        services.problem_link_incident(
            problem=problem,
            incident=id,
            actor=request.user,
            incident_version=expected_version(request, values, "incident"),
        )
        return self._detail(request, id)


link_problem = IncidentLinkProblemView.as_view({"post": "link_problem"})
