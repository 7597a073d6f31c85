"""The admin: problems are read-only records; the problem policy (the stability window) is
edited by administrators and incident managers, each save audited with its delta."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from problems.models import Problem, ProblemPolicy

POLICY_URL = "/admin/problems/problempolicy/1/change/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_problems_are_read_only_in_the_admin(people, problem):
    prb = problem("known_error")
    client = client_for(people.admin)
    assert prb.reference in client.get("/admin/problems/problem/").content.decode()
    page = client.get(f"/admin/problems/problem/{prb.pk}/change/")
    assert page.status_code == 200 and b'name="title"' not in page.content
    assert client.get("/admin/problems/problem/add/").status_code == 403
    refused = client.post(f"/admin/problems/problem/{prb.pk}/change/", {"title": "Changed"})
    assert refused.status_code == 403 and Problem.objects.get(pk=prb.pk).title == prb.title
    assert client.post(f"/admin/problems/problem/{prb.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("who", ["admin", "im"])
def test_the_policy_is_edited_and_audited(people, who):
    client = client_for(getattr(people, who))
    assert client.get(POLICY_URL).status_code == 200
    response = client.post(POLICY_URL, {"stability_window_days": 14})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ProblemPolicy.current().stability_window_days == 14
    [event] = AuditEvent.objects.filter(ref_type="problem_policy")
    assert (event.domain_action, event.ref_id, event.changes) == (
        "update", "problem-policy", {"stability_window_days": [7, 14]}
    )  # fmt: skip
    assert event.actor_label == getattr(people, who).username


@pytest.mark.parametrize("days", [0, 366])
def test_a_window_out_of_range_is_refused_and_writes_nothing(people, days):
    response = client_for(people.admin).post(POLICY_URL, {"stability_window_days": days})
    assert response.status_code == 200 and b"errornote" in response.content
    assert ProblemPolicy.current().stability_window_days == 7
    assert not AuditEvent.objects.filter(ref_type="problem_policy").exists()


def test_the_policy_is_one_row_and_the_auditor_only_reads_it(people):
    admin = client_for(people.admin)
    assert admin.get("/admin/problems/problempolicy/add/").status_code == 403  # the row exists
    assert admin.post("/admin/problems/problempolicy/1/delete/", {"post": "yes"}).status_code == 403
    auditor = client_for(people.auditor)
    assert auditor.get(POLICY_URL).status_code == 200
    assert auditor.post(POLICY_URL, {"stability_window_days": 1}).status_code == 403
    assert ProblemPolicy.current().stability_window_days == 7
    assert client_for(people.analyst).get(POLICY_URL).status_code == 302  # to the admin's login


def test_without_its_row_the_policy_has_the_defaults(db):
    ProblemPolicy.objects.all().delete()
    assert ProblemPolicy.current().stability_window_days == 7
