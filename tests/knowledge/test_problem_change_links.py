"""A KB article written for problems and changes (API.md: create KB article with optional
``incidents``, ``problems``, ``changes``): linked through the apps' registered link targets
(knowledge.links), shown on the article's detail and page, audited with the creation."""

from audit.models import AuditEvent
from changes.services import change_create
from problems.services import problem_create
from tests.helpers import assert_error

KB = "/api/v1/kb/"


def _records(people, svc):
    problem = problem_create(actor=people.analyst, title="Mail relay stalls", affected_service=svc.reference)
    change = change_create(actor=people.analyst, summary="Relay disk alert", type="standard", risk="low")
    return problem, change


def test_an_article_is_written_for_a_problem_and_a_change(api, people, svc, client):
    problem, change = _records(people, svc)
    body = {"title": "Relay stalls", "body": "Restart the relay.", "type": "workaround",
            "problems": [problem.reference], "changes": [change.reference.lower()]}  # fmt: skip
    response = api(people.l2).post(KB, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["problems"] == [{"id": problem.reference, "title": problem.title, "status": "new"}]
    assert data["changes"] == [{"id": change.reference, "title": change.summary, "status": "approved"}]
    assert list(problem.articles.values_list("reference", flat=True)) == [data["id"]]
    event = AuditEvent.objects.get(ref_id=data["id"], domain_action="create")
    assert event.additional_data == {"problems": [problem.reference], "changes": [change.reference]}

    client.force_login(people.analyst)
    page = client.get(f"/kb/{data['id']}/").content.decode()
    assert f'href="/problems/{problem.reference}/"' in page and f'href="/changes/{change.reference}/"' in page


def test_an_unknown_or_unseen_problem_is_refused_and_nothing_is_written(api, people, svc):
    problem, _ = _records(people, svc)
    before = AuditEvent.objects.count()
    body = {"title": "T", "body": "B", "type": "resolution", "problems": [problem.reference, "PRB-999999"]}
    response = api(people.l2).post(KB, body, format="json")
    assert_error(response, 400, "validation_error", message="No problem PRB-999999.")
    assert response.json()["error"]["fields"] == {"problems": ["No problem PRB-999999."]}
    assert AuditEvent.objects.count() == before and not problem.articles.exists()
