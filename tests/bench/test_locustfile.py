"""The load bench's users still speak IMS's API (bench/locustfile.py, run by bench/load.py).

Every task of every user class runs against a recording client: each request must resolve
to an IMS API route and method, its query must be valid for the incident FilterSet, its
body must pass the input serializer of that operation, and end users must send only the
fields an end user may set. No server, no database.
"""

import random
from urllib.parse import urlsplit

import pytest
from django.http import QueryDict
from django.urls import resolve

from incidents.api import serializers as s
from incidents.api.views import IncidentViewSet
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident

SERIALIZERS = {
    "create": s.IncidentCreateSerializer,
    "assign": s.AssignSerializer,
    "diagnose": s.DiagnoseSerializer,
    "resolve": s.ResolveSerializer,
}
END_USER_FIELDS = {"title", "description", "category", "impact", "urgency", "affected_service"}
ROW = {"id": "INC-000042", "version": 3, "status": "in_progress", "assigned_team": None}


@pytest.fixture(scope="module")
def locustfile():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCUST_SKIP_MONKEY_PATCH", "1")  # gevent must not patch the test process
        from bench import locustfile  # locust comes with the dev extra
    locustfile._fixture = {
        "analysts": [{"username": "bench-load-analyst-00", "token": "a" * 40}],
        "integrations": [{"username": "bench-load-monitoring", "token": "b" * 40}],
        "end_users": [{"username": "bench-reporter-000", "token": "c" * 40}],
        "services": ["SVC-000001", "SVC-000002"],
        "think": [0, 0],
    }
    return locustfile


class Response:
    def __init__(self, status: int, payload: dict, name: str):
        self.status_code, self.payload, self.text, self.error = status, payload, "", None
        self.request_meta = {"name": name}
        self.outcome = None

    def json(self):
        return self.payload

    def success(self):
        self.outcome = "success"

    def failure(self, message):
        self.outcome = message

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class RecordingClient:
    """Answers as the API does when all goes well: lists, details, 201 on create, 200 on an action."""

    def __init__(self, answer=None):
        self.headers, self.calls, self.answer = {}, [], answer
        self.status = "in_progress"  # the state the last list asked for

    def request(self, method, path, json=None, name=None, catch_response=False):
        assert catch_response, "every request checks its own status"
        if self.answer:
            status, payload = self.answer
        elif method == "GET" and urlsplit(path).path.rstrip("/").endswith("incidents"):
            self.status = QueryDict(urlsplit(path).query).get("status", "in_progress")
            row = {**ROW, "status": self.status}
            status, payload = 200, {"count": 1, "next": None, "previous": None, "results": [row]}
        elif method == "GET":
            allowed = ["assign"] if self.status == "open" else ["assign", "diagnose", "resolve"]
            status, payload = 200, {**ROW, "status": self.status, "allowed_actions": allowed}
        else:
            status, payload = (201 if path.endswith("/incidents/") else 200), dict(ROW)
        response = Response(status, payload, name)
        self.calls.append((method, path, json, response))
        return response


def run_tasks(locustfile, user_class, client, rounds=30):
    from locust.env import Environment

    user_class = type(user_class.__name__, (user_class,), {"host": "http://testserver"})
    user = user_class(Environment(user_classes=[user_class]))
    user.client = client
    user.on_start()
    random.seed(15)
    for _ in range(rounds):
        for task in set(user_class.tasks):
            task(user)
    return user


@pytest.mark.parametrize("class_name", ["Analyst", "EndUser", "Integration"])
def test_every_request_is_an_api_operation_with_a_valid_query_and_body(locustfile, class_name):
    client = RecordingClient()
    user = run_tasks(locustfile, getattr(locustfile, class_name), client)

    assert client.headers["Authorization"] == f"Token {user.account['token']}"
    assert client.calls
    for method, path, body, response in client.calls:
        url = urlsplit(path)
        match = resolve(url.path)
        assert match.func.cls is IncidentViewSet, path
        operation = match.func.actions[method.lower()]
        if url.query:
            query = QueryDict(url.query)
            unknown = set(query) - set(IncidentFilterSet.base_filters) - {"page_size"}
            assert not unknown, f"{path}: no such filter {unknown}"
            filterset = IncidentFilterSet(data=query, queryset=Incident.objects.none())
            assert filterset.is_valid(), (path, filterset.errors)
        if method == "POST":
            serializer = SERIALIZERS[operation](data=body)
            assert serializer.is_valid(), (path, body, serializer.errors)
        assert response.outcome == "success", (path, response.outcome)

    operations = {(m, resolve(urlsplit(p).path).func.actions[m.lower()]) for m, p, _, _ in client.calls}
    expected = {
        "Analyst": {("GET", "list"), ("GET", "retrieve"), ("POST", "assign"), ("POST", "diagnose"),
                    ("POST", "resolve")},
        "EndUser": {("GET", "list"), ("GET", "retrieve"), ("POST", "create")},
        "Integration": {("GET", "list"), ("POST", "create")},
    }[class_name]  # fmt: skip
    assert operations == expected


def test_end_users_set_only_their_fields_and_integrations_say_monitoring(locustfile):
    end_user, integration = RecordingClient(), RecordingClient()
    run_tasks(locustfile, locustfile.EndUser, end_user)
    run_tasks(locustfile, locustfile.Integration, integration)

    reports = [body for method, _, body, _ in end_user.calls if method == "POST"]
    alerts = [body for method, _, body, _ in integration.calls if method == "POST"]
    assert reports and alerts
    assert all(set(body) <= END_USER_FIELDS for body in reports)
    assert all(body["detection_source"] == "monitoring_tool" for body in alerts)


@pytest.mark.parametrize(
    "status, code, outcome, name",
    [
        (409, "conflict", "success", "/api/v1/incidents/{id}/resolve/ [409 conflict]"),
        (409, "invalid_transition", "409 invalid_transition: nope", "/api/v1/incidents/{id}/resolve/"),
        (500, "server_error", "500 server_error: nope", "/api/v1/incidents/{id}/resolve/"),
    ],
)
def test_only_a_version_conflict_counts_as_a_race(locustfile, status, code, outcome, name):
    user = run_tasks(locustfile, locustfile.Analyst, RecordingClient(), rounds=0)
    user.client = RecordingClient(answer=(status, {"error": {"code": code, "message": "nope"}}))

    user.act({**ROW, "allowed_actions": ["resolve"]}, "resolve", {"resolution_summary": "x"})

    (_, _, body, response) = user.client.calls[0]
    assert body["version"] == ROW["version"]
    assert (response.outcome, response.request_meta["name"]) == (outcome, name)


def test_an_analyst_does_not_assign_what_was_taken_between_queue_and_detail(locustfile):
    class TakenMeanwhile(RecordingClient):
        def request(self, method, path, **kwargs):
            response = super().request(method, path, **kwargs)
            if method == "GET" and "/INC-" in path:  # the detail: another analyst sent it to L2
                response.payload.update(status="in_progress", assigned_team="L2")
            return response

    user = run_tasks(locustfile, locustfile.Analyst, TakenMeanwhile(), rounds=0)
    user.assign()

    assert [(method, path) for method, path, _, _ in user.client.calls] == [
        ("GET", "/api/v1/incidents/?status=open&assignee=none&page_size=25"),
        ("GET", "/api/v1/incidents/INC-000042/"),
    ]
