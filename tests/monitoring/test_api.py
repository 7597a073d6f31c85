"""POST /api/v1/events/ (one or a list), the list and detail, the intake token's scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import TokenScope
from monitoring.models import Event
from monitoring.services import events_ingest
from tests.monitoring.conftest import token_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"


def test_one_event_answers_201_then_200_on_replay(intake, event):
    body = event(event_id="am-1")
    first = intake.post(URL, body, format="json")
    assert first.status_code == 201, first.content
    data = first.json()
    assert (
        data["id"].startswith("EVT-") and data["outcome"] == "opened" and data["incident"].startswith("INC-")
    )
    assert data["event_id"] == "am-1" and data["dedup_key"].endswith(":HighErrorRate")
    again = intake.post(URL, body, format="json")
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    assert Event.objects.count() == 1


def test_an_invalid_event_answers_the_envelope(intake, event):
    response = intake.post(URL, event(severity="urgent"), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "validation_error",
            "message": "Invalid event: severity.",
            "fields": {"severity": ["Must be one of low, medium, high, critical."]},
        }
    }
    assert Event.objects.count() == 0


def test_a_list_answers_per_item_results(intake, event):
    body = [event(severity="low"), event(severity="nope"), event(severity="low", event_id="same"),
            event(severity="low", event_id="same")]  # fmt: skip
    response = intake.post(URL, body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["created"], data["replayed"], data["failed"]) == (2, 1, 1)
    assert [r["status"] for r in data["results"]] == [201, 400, 201, 200]
    assert data["results"][1]["error"]["fields"] == {
        "severity": ["Must be one of low, medium, high, critical."]
    }


def test_a_list_of_1001_is_refused(intake, event):
    response = intake.post(URL, [event(severity="low")] * 1001, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "1001 events in one request; the limit is 1000. Split the batch."
    )
    assert Event.objects.count() == 0


@pytest.mark.postgres
def test_a_batch_of_500_costs_constant_queries(intake, event):
    warm = [event() for _ in range(5)]
    intake.post(URL, warm, format="json")
    with CaptureQueriesContext(connection) as small:
        assert intake.post(URL, [event() for _ in range(5)], format="json").status_code == 200
    with CaptureQueriesContext(connection) as big:
        response = intake.post(URL, [event() for _ in range(500)], format="json")
    assert response.status_code == 200 and response.json()["created"] == 500
    assert len(big) <= len(small) + 2  # the bulk inserts may split into a couple more statements


def test_no_credentials_answer_401(client, event):
    from rest_framework.test import APIClient

    response = APIClient().post(URL, event(), format="json")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("who", "status"), [("im", 201), ("admin", 201), ("analyst", 403), ("reporter", 403)]
)
def test_who_may_post_with_a_full_token(api, people, event, who, status):
    response = api(getattr(people, who)).post(URL, event(), format="json")
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"]["code"] == "permission_denied"
        assert Event.objects.count() == 0


INTAKE_ONLY = (
    "This is a monitoring-intake token: it may only post events (/api/v1/events/, "
    "/api/v1/integrations/alertmanager/). Use a full API token for anything else."
)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", URL), ("get", "/api/v1/incidents/"), ("post", "/api/v1/incidents/"),
     ("get", "/api/v1/services/"), ("get", "/api/v1/audit/")],
)  # fmt: skip
def test_an_intake_token_may_only_post_events(intake, method, path):
    response = getattr(intake, method)(path, {}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "permission_denied", "message": INTAKE_ONLY, "fields": {}}


def test_an_intake_token_may_not_read_an_event(intake, event):
    ref = intake.post(URL, event(), format="json").json()["id"]
    assert intake.get(f"{URL}{ref}/").status_code == 403


def test_a_full_token_of_the_same_user_reads(intake_user, people, event):
    events_ingest(actor=people.im, items=[event(severity="low")])
    client = token_client(intake_user, TokenScope.FULL)
    assert client.get(URL).json()["count"] == 1


def test_list_filters_and_search(api, people, event, svc):
    events_ingest(actor=people.im, items=[event(severity="low", summary="disk almost full"),
                                          event(severity="critical", alert_type="Down")])  # fmt: skip
    client = api(people.analyst)
    assert client.get(URL, {"severity": "low"}).json()["count"] == 1
    assert client.get(URL, {"outcome": "opened"}).json()["count"] == 1
    assert client.get(URL, {"q": "disk"}).json()["results"][0]["summary"] == "disk almost full"
    assert client.get(URL, {"service": svc.reference}).json()["count"] == 2
    assert client.get(URL, {"dedup_key": f"{svc.reference}:Down"}).json()["count"] == 1
    assert client.get(URL, {"severity": "bogus"}).status_code == 400


def test_end_users_see_no_events(api, people, event):
    ref = events_ingest(actor=people.im, items=[event(severity="low")])[0].event.reference
    client = api(people.reporter)
    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{ref}/").status_code == 404


def test_detail_carries_the_truncated_raw_payload(api, people, event):
    ref = events_ingest(actor=people.im, items=[event(severity="low")])[0].event.reference
    data = api(people.analyst).get(f"{URL}{ref}/").json()
    assert data["id"] == ref and '"alert_type":"HighErrorRate"' in data["raw"]


@pytest.mark.parametrize("path", [URL, f"{URL}{{ref}}/"])
def test_list_and_detail_queries_do_not_grow_with_rows(api, people, event, path):
    client = api(people.analyst)

    def cost(n):
        refs = [r.event.reference for r in events_ingest(actor=people.im, items=[event() for _ in range(n)])]
        target = path.format(ref=refs[-1])
        client.get(target)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(target).status_code == 200
        return len(ctx)

    assert cost(5) == cost(50)


@pytest.mark.parametrize(
    ("who", "sees"),
    [("analyst", True), ("sdm", True), ("im", True), ("auditor", True), ("admin", True), ("l1", True),
     ("l2", True), ("l3", True), ("reporter", False), ("nobody", False)],
)  # fmt: skip
def test_who_reads_events(api, people, event, who, sees):
    ref = events_ingest(actor=people.im, items=[event(severity="low")])[0].event.reference
    client = api(getattr(people, who))
    assert client.get(URL).json()["count"] == (1 if sees else 0)
    assert client.get(f"{URL}{ref}/").status_code == (200 if sees else 404)


def test_events_are_read_only_through_the_api(api, people, event):
    ref = events_ingest(actor=people.im, items=[event(severity="low")])[0].event.reference
    client = api(people.admin)
    assert client.patch(f"{URL}{ref}/", {"severity": "high"}, format="json").status_code == 405
    assert client.delete(f"{URL}{ref}/").status_code == 405
    assert Event.objects.get().severity == "low"
