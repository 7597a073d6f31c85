"""The incident serializers' fast rendering gives exactly what DRF's field-by-field
rendering gives, for every status, priority and viewer, so the API's bodies did not change
when the per-field machinery was taken out of the hot path (issue 18)."""

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import timezone
from rest_framework import serializers as drf

from incidents import services
from incidents.api.serializers import (
    IncidentDetailSerializer,
    IncidentListSerializer,
    IncidentSerializer,
)
from incidents.models import Incident
from incidents.selectors import (
    WORK_NOTE_FIELDS,
    attach_people,
    incident_rows_queryset,
    incident_visible_to,
    incidents_visible_to,
    sees_work_notes,
)
from tests.incidents.factories import STATUSES, incident_in, make_staff

pytestmark = pytest.mark.django_db


def _drf_rendering(serializer) -> dict:
    """What DRF's own Serializer.to_representation gives, work notes dropped as before."""
    data = drf.ModelSerializer.to_representation(serializer, serializer.instance)
    request = serializer.context.get("request")
    if request is not None and not sees_work_notes(request.user):
        for field in WORK_NOTE_FIELDS:
            data.pop(field, None)
    return dict(data)


def _request(user):
    request = RequestFactory().get("/api/v1/incidents/")
    request.user = user
    return request


@pytest.fixture
def incidents(people):
    built = [incident_in(status, priority=p) for status in STATUSES for p in ("P1", "P3")]
    major = incident_in("in_progress", priority="P1", reporter=people.reporter)
    services.incident_set_major_roles(
        incident=major.reference,
        actor=make_staff("incident_manager", team="incident_manager"),
        incident_commander=people.im.username,
        technical_lead=people.l2.username,
    )
    services.incident_diagnose(
        incident=major.reference, actor=people.im, steps="Logs read.", workaround="Restart."
    )
    return [*built, major]


SERIALIZERS = [IncidentSerializer, IncidentListSerializer, IncidentDetailSerializer]


@pytest.mark.parametrize("serializer_class", SERIALIZERS)
@pytest.mark.parametrize("viewer", ["im", "analyst", "reporter"])
def test_fast_rendering_equals_drf_rendering(incidents, people, serializer_class, viewer):
    user = getattr(people, viewer)
    rows = attach_people(list(incident_rows_queryset(user).filter(pk__in=[i.pk for i in incidents])))
    assert rows, "the viewer sees some of the incidents"
    for incident in rows:
        request = _request(user)
        fast = serializer_class(incident, context={"request": request})
        fast_data = fast.data
        now = fast.context[("_row", serializer_class)]["now"]  # the SLA timers' clock
        slow = serializer_class(incident, context={"request": request, "now": now})
        assert fast_data == _drf_rendering(slow), incident.reference


def test_a_page_is_rendered_with_the_same_clock_and_viewer_for_every_row(incidents, people):
    rows = attach_people(list(incident_rows_queryset(people.reporter)))
    data = IncidentListSerializer(rows, many=True, context={"request": _request(people.reporter)}).data
    assert data and all("assigned_team" not in row for row in data)  # work notes hidden from a reporter
    own = {i.reference for i in incidents if i.reporter_id == people.reporter.pk}
    assert {row["id"] for row in data} == own


def test_the_in_memory_visibility_rule_is_the_queryset_rule(people):
    mine = incident_in("open", category="security", reporter=people.analyst, team="L3")
    built = [
        mine,
        incident_in("open", category="security", team="L3"),
        incident_in("open", reporter=people.reporter),
    ]
    everyone = [getattr(people, name) for name in vars(people) if name != "vendor"]
    for user in everyone:
        visible = set(incidents_visible_to(user).values_list("pk", flat=True))
        for incident in Incident.objects.filter(pk__in=[i.pk for i in built]):
            assert incident_visible_to(user, incident) == (incident.pk in visible), (user.username, incident)


def test_an_operation_answers_with_what_it_saved_without_reading_it_again(api, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    incident = incident_in("in_progress", team="L1")
    client = api(people.im)
    client.get("/api/v1/incidents/")  # a request first: the test client resets the query log per request
    # one instant for both answers: the SLA timers' remaining seconds must not tick between them
    with time_machine.travel(timezone.now(), tick=False):
        with CaptureQueriesContext(connection) as queries:
            body = client.post(
                f"/api/v1/incidents/{incident.reference}/diagnose/", {"steps": "Read the logs."}
            ).json()
        # reads of this incident (panels registered through incidents.related may read others,
        # as changes' open incidents on its services), read before the next request empties the log
        selects = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith('SELECT "incidents_incident"') and incident.reference in q["sql"]
        ]
        fresh = client.get(f"/api/v1/incidents/{incident.reference}/").json()
    assert len(selects) == 1, selects  # the locked read only
    assert body["version"] == incident.version + 1 and "Read the logs." in body["diagnosis"]
    assert body == fresh  # what a fresh read gives


def _list_queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # a request first: the test client resets the query log per request
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("viewer", ["im", "analyst", "reporter"])
def test_a_list_page_reads_the_same_statements_for_5_and_50_rows(api, people, viewer):
    """No column a list row reads is left out of its query (a deferred one would be read
    per row), and no row costs a query of its own."""
    client = api(getattr(people, viewer))
    reporter = people.reporter
    for _ in range(5):
        incident_in("in_progress", reporter=reporter, priority="P1")
    few = {
        path: _list_queries(client, path)
        for path in ("/api/v1/incidents/", "/api/v1/incidents/?status=in_progress")
    }
    for status in [s for s in STATUSES for _ in range(8)][:45]:
        incident_in(status, reporter=reporter, priority="P2")
    for path, count in few.items():
        response = client.get(path)
        assert len(response.json()["results"]) >= (10 if "status" in path else 50)
        assert _list_queries(client, path) == count, path
