from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import TokenScope
from monitoring.api.serializers import EventDetailSerializer, EventSerializer
from monitoring.filtersets import EventFilter
from monitoring.selectors import events_visible_to
from monitoring.services import alertmanager_receive, events_ingest


def _via_intake_token(request) -> bool:
    return getattr(request.auth, "scope", None) == TokenScope.INTAKE


def _item(result) -> dict:
    """One item of a list's answer: its status and the event's reference, outcome and
    incident (a compact body: a batch of 1,000 answers in a few milliseconds), or its error."""
    if result.error is not None:
        return {"index": result.index, "status": result.error.http_status, **result.error.as_envelope()}
    event = result.event
    return {
        "index": result.index,
        "status": 201 if result.created else 200,
        "event": {
            "id": event.reference,
            "event_id": event.event_id,
            "dedup_key": event.dedup_key,
            "severity": event.severity,
            "outcome": event.outcome,
            "incident": event.incident.reference if event.incident_id else None,
        },
    }


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Monitoring events: staff read them; intake tokens, admins and incident managers post
    one event or a list of up to 1,000 (a list answers per-item results)."""

    lookup_field = "reference"
    lookup_url_kwarg = "id"
    filterset_class = EventFilter
    accepts_intake_tokens = True  # accounts.authentication: only the POST is let through

    def get_queryset(self):
        return events_visible_to(self.request.user)

    def get_serializer_class(self):
        return EventDetailSerializer if self.action == "retrieve" else EventSerializer

    @extend_schema(request=EventSerializer, responses={201: EventSerializer})
    def create(self, request, *args, **kwargs):
        single = isinstance(request.data, dict)
        items = [request.data] if single else request.data
        if not isinstance(items, list):
            items = [items]
        results = events_ingest(actor=request.user, items=items, intake_token=_via_intake_token(request))
        if single:
            result = results[0]
            if result.error is not None:
                raise result.error
            code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
            return Response(EventDetailSerializer(result.event).data, status=code)
        answers = [_item(r) for r in results]
        return Response(
            {
                "created": sum(1 for r in results if r.created),
                "replayed": sum(1 for r in results if r.event is not None and not r.created),
                "failed": sum(1 for r in results if r.error is not None),
                "results": answers,
            },
            status=status.HTTP_200_OK,
        )


class AlertmanagerView(APIView):
    """Alertmanager webhook receiver (version 4)."""

    accepts_intake_tokens = True

    @extend_schema(request=dict, responses={200: dict})
    def post(self, request):
        answer = alertmanager_receive(
            actor=request.user, payload=request.data, intake_token=_via_intake_token(request)
        )
        return Response(
            {"firing": [_item(r) for r in answer["firing"]], "cleared": answer["cleared"]},
            status=status.HTTP_200_OK,
        )
