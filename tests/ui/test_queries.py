"""The desk's pages cost the same number of queries for 5 rows as for 50: no N+1."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents import services
from sla.models import SlaEvent
from tests.ui import factories

pytestmark = pytest.mark.django_db


def queries(client: Client, url: str) -> int:
    """Queries of one request, after a first one has warmed every cache."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def people(make_user):
    return {
        "analyst": make_user("service_desk", team="service_desk"),
        "manager": make_user("incident_manager", team="incident_manager"),
        "l1": make_user("l1", team="L1"),
        "reporter": make_user("end_user"),
    }


def _add_incidents(people, count: int) -> None:
    """Rows that touch every relation a row shows: reporter, service, team, assignee."""
    for n in range(count):
        incident = factories.report(people["reporter"], priority=("P1", "P2", "P3", "P4")[n % 4])
        if n % 3 == 1:
            factories.assign(incident, people["analyst"], team="L1")
        elif n % 3 == 2:
            factories.assign(incident, people["manager"], team="L1", assignee=people["l1"].username)
        if n % 5 == 0:
            services.incident_communicate(
                incident=incident.reference,
                actor=people["manager"],
                recipients=["end_users"],
                message="ETA 1h",
            )


@pytest.mark.parametrize("queue", ["all", "unassigned", "team", "mine", "breaching"])
def test_workspace_queries_do_not_grow_with_rows(people, queue):
    client = Client()
    client.force_login(people["l1"] if queue in ("team", "mine") else people["analyst"])
    url = f"/incidents/?queue={queue}"
    _add_incidents(people, 5)
    few = queries(client, url)
    _add_incidents(people, 45)
    many = queries(client, url)
    assert many == few, f"workspace ({queue}): {few} queries for 5 incidents, {many} for 50"


def test_my_incidents_queries_do_not_grow_with_rows(people):
    client = Client()
    client.force_login(people["reporter"])
    _add_incidents(people, 5)
    few = queries(client, "/my/")
    _add_incidents(people, 45)
    assert queries(client, "/my/") == few


def _add_timeline(incident, people, entries: int) -> None:
    """``entries`` more timeline rows: communications (with their audit event) and SLA events."""
    for n in range(entries // 2):
        services.incident_communicate(
            incident=incident.reference,
            actor=people["manager"],
            recipients=["end_users"],
            message=f"update {n}",
        )
    if entries % 2:
        SlaEvent.objects.create(
            subject_ref=incident.reference,
            kind=SlaEvent.Kind.RESOLVE_WARNING,
            due_at=incident.resolve_due_at,
            occurred_at=incident.resolve_due_at,
        )


def _assigned_p1(people):
    incident = factories.report(people["reporter"], priority="P1")
    factories.assign(incident, people["manager"], team="L1", assignee=people["l1"].username)
    return incident


def _timeline_length(client, url) -> int:
    return len(client.get(url).context["timeline"])


# timeline entries before and after adding 45: a reporter sees the messages to end users
# but not the audit events of work notes or the SLA events (issue 15 #4)
TIMELINE_LENGTHS = {"manager": (6, 51), "l1": (6, 51), "reporter": (4, 26)}


@pytest.mark.parametrize("viewer", ["manager", "l1", "reporter"])
def test_incident_page_queries_do_not_grow_with_timeline(people, viewer):
    incident = _assigned_p1(people)
    _add_timeline(incident, people, 2)  # create, notify, assign, acknowledgement + 2 = 6
    client = Client()
    client.force_login(people[viewer])
    url = f"/incidents/{incident.reference}/"
    assert _timeline_length(client, url) == TIMELINE_LENGTHS[viewer][0]
    few = queries(client, url)
    _add_timeline(incident, people, 45)
    assert _timeline_length(client, url) == TIMELINE_LENGTHS[viewer][1]
    many = queries(client, url)
    assert many == few, (
        f"incident page ({viewer}): {few} queries for {TIMELINE_LENGTHS[viewer]} timeline entries"
    )


def _incident_statements(captured) -> int:
    return sum(1 for query in captured if "incidents_incident" in query["sql"])


@pytest.mark.parametrize("queue", ["all", "unassigned", "team", "mine", "breaching"])
@pytest.mark.parametrize("variant", ["page", "refresh", "exact count"])
def test_workspace_reads_incidents_in_two_statements_for_5_rows_as_for_50(people, queue, variant):
    """Issue 18: the queue tabs are one statement (capped counts), the page one more; the
    30-second refresh and the exact count cost the same for 5 rows as for 50."""
    client = Client()
    client.force_login(people["l1"] if queue in ("team", "mine") else people["analyst"])
    url = f"/incidents/?queue={queue}" + ("&count=exact" if variant == "exact count" else "")
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "incident-list"} if variant == "refresh" else {}
    shown = []
    for more in (5, 45):
        _add_incidents(people, more)
        client.get(url, **headers)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, **headers)
        assert response.status_code == 200
        shown.append((len(captured), _incident_statements(captured)))
    assert shown[0] == shown[1], (
        f"{variant} of {queue}: (queries, on incidents) {shown[0]} for 5, {shown[1]} for 50"
    )
    assert shown[0][1] == (3 if variant == "exact count" else 2), shown[0]  # + the count asked for


def _timeline_of(incident, people, entries: int, sla_kind=SlaEvent.Kind.RESOLVE_WARNING) -> None:
    """``entries`` more timeline rows: a communication and its audit event per two, an SLA
    event (of ``sla_kind``) for an odd one."""
    _add_timeline(incident, people, entries - entries % 2)
    if entries % 2:
        SlaEvent.objects.create(
            subject_ref=incident.reference,
            kind=sla_kind,
            due_at=incident.resolve_due_at,
            occurred_at=incident.resolve_due_at,
        )


# the tables the incident page reads: the incident, then its timeline
PAGE_TABLES = ("incidents_incident", "audit_auditevent", "communications_communication", "sla_slaevent")


@pytest.mark.parametrize("viewer", ["manager", "reporter"])
def test_incident_page_queries_are_the_same_for_a_5_and_a_50_entry_timeline(people, viewer):
    """Issue 18: the page reads the incident in one statement (the people named on it in
    another) and its timeline in one per table, for 5 entries as for 50."""
    incident = _assigned_p1(people)
    _timeline_of(incident, people, 1)  # create, notify, assign, acknowledgement + 1 = 5
    client = Client()
    client.force_login(people[viewer])
    url = f"/incidents/{incident.reference}/"
    seen = []
    for more in (0, 45):
        _timeline_of(incident, people, more, SlaEvent.Kind.RESOLVE_BREACH)
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        # (of the incident table, the statements that read this incident: the panels other apps
        # register, incidents.related, read others — changes: the open ones on its services)
        tables = [t for t in PAGE_TABLES for query in captured if f'FROM "{t}"' in query["sql"]
                  and (t != "incidents_incident" or incident.reference in query["sql"])]  # fmt: skip
        seen.append((len(response.context["timeline"]), len(captured), tables))
    if viewer == "manager":
        assert [length for length, _, _ in seen] == [5, 50]
    assert seen[0][1:] == seen[1][1:], seen
    assert seen[0][2] == list(PAGE_TABLES), seen[0][2]
