"""The problem pages through the Django test client: the list with the API's filters, the
problem page's actions (exactly ``allowed_actions``) and a refusal shown once beside its
form, raising a problem (from an incident too), and the incident page's problems panel."""

import re

import pytest
from django.test import Client

from knowledge.models import Article
from problems.models import Problem, ProblemIncident
from problems.services import PROBLEMS


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panels(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


# ---- list -------------------------------------------------------------------------------
def test_the_list_shows_problems_with_the_apis_filters(people, problem):
    first = problem("new", title="Mail relay stalls")
    second = problem("resolved", title="Disk full on archive")
    client = client_for(people.analyst)
    html = client.get("/problems/").content.decode()
    assert first.reference in html and second.reference in html and "2 problems" in html
    html = client.get("/problems/?status=resolved").content.decode()
    assert second.reference in html and first.reference not in html
    html = client.get("/problems/?q=stalls").content.decode()
    assert first.reference in html and second.reference not in html
    html = client.get(f"/problems/?created_by={people.im.username}&status=new").content.decode()
    assert first.reference in html and second.reference not in html
    html = client.get("/problems/?created_after=nonsense").content.decode()
    assert "Some filters are invalid" in html and first.reference not in html


def test_the_navigation_offers_problems_to_staff_only(people):
    assert 'href="/problems/"' in client_for(people.auditor).get("/incidents/").content.decode()
    assert 'href="/problems/"' not in client_for(people.reporter).get("/my/").content.decode()
    assert client_for(people.reporter).get("/problems/").status_code == 404


# ---- problem page -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "status"),
    [("analyst", "new"), ("analyst", "known_error"), ("l3", "known_error"), ("im", "resolved"),
     ("analyst", "resolved"), ("auditor", "under_investigation"), ("im", "closed")],
)  # fmt: skip
def test_the_page_offers_exactly_the_allowed_actions(people, problem, who, status):
    prb = problem(status)
    user = getattr(people, who)
    response = client_for(user).get(f"/problems/{prb.reference}/")
    assert response.status_code == 200
    assert panels(response.content.decode()) == PROBLEMS.allowed_actions(user, prb)


def test_the_page_shows_fields_incidents_articles_and_timeline(people, problem, make):
    seen, secret = make("open"), make("open", category="security")
    prb = problem("known_error", incidents=[seen.reference, secret.reference])
    html = client_for(people.analyst).get(f"/problems/{prb.reference}/").content.decode()
    assert f'data-incident="{seen.reference}"' in html and secret.reference not in html
    assert "a restricted incident" in html  # the create event names it, left out
    assert "and 1 restricted incident you may not see." in html
    article = Article.objects.get()
    assert f'data-article="{article.reference}"' in html and "In review" in html
    assert "Restart the relay." in html  # the workaround
    assert html.count('class="entry audit"') == 3  # create, start investigation, workaround
    assert "Reopen investigation" not in html


def test_the_pages_kb_article_links_to_the_article(people, problem):
    """The workaround's article is one click away from its problem (the ITIL journey: the
    problem page named it but offered no way to open it)."""
    prb = problem("known_error")
    article = Article.objects.get()
    html = client_for(people.l2).get(f"/problems/{prb.reference}/").content.decode()
    assert f'<a href="/kb/{article.reference}/">{article.reference}</a>' in html
    assert client_for(people.l2).get(f"/kb/{article.reference}/").status_code == 200


def test_an_operation_from_the_page_runs_the_service_and_returns_to_the_page(people, problem):
    prb = problem("new")
    client = client_for(people.l1)
    response = client.post(f"/problems/{prb.reference}/act/start_investigation/", {"version": prb.version})
    assert response.status_code == 302 and response["Location"] == f"/problems/{prb.reference}/"
    assert Problem.objects.get(pk=prb.pk).status == "under_investigation"
    follow = client.get(response["Location"]).content.decode()
    assert f"{prb.reference}: start investigation done." in follow


def test_a_refusal_is_shown_once_beside_its_form(people, problem):
    prb = problem("under_investigation")
    response = client_for(people.l1).post(
        f"/problems/{prb.reference}/act/record_workaround/",
        {"version": prb.version, "workaround": "Restart."},
    )
    assert response.status_code == 200
    html = response.content.decode()
    message = (
        f"{prb.reference} becomes a known error with its symptom, root cause and workaround: give the "
        "symptom and root_cause."
    )
    assert html.count(message) == 1
    panel = re.search(
        r'<details class="action [^"]*" id="act-record_workaround" open.*?</details>', html, re.S
    )
    assert panel is not None and message in panel.group(0)
    assert Problem.objects.get(pk=prb.pk).status == "under_investigation"


def test_a_stale_version_from_the_page_is_refused_beside_its_form(people, problem):
    prb = problem("new")
    client = client_for(people.analyst)
    response = client.post(f"/problems/{prb.reference}/act/update/", {"version": 99, "title": "Other"})
    html = response.content.decode()
    assert html.count(f"{prb.reference} changed since you loaded it (version 99, now 1).") == 1
    assert Problem.objects.get(pk=prb.pk).title == prb.title


def test_editing_from_the_page_changes_only_what_changed(people, problem, svc):
    prb = problem("new")
    client = client_for(people.analyst)
    form = {"version": prb.version, "title": "Relay stalls", "affected_service": svc.reference,
            "description": prb.description, "symptom": "", "root_cause": "", "owner_team": "",
            "assignee": ""}  # fmt: skip
    assert client.post(f"/problems/{prb.reference}/act/update/", form).status_code == 302
    from audit.models import AuditEvent

    event = AuditEvent.objects.filter(ref_id=prb.reference).order_by("-seq").first()
    assert event.changes == {"title": [prb.title, "Relay stalls"]}


def test_an_operation_the_viewer_may_not_take_is_refused_on_the_page(people, problem):
    prb = problem("known_error")
    response = client_for(people.analyst).post(
        f"/problems/{prb.reference}/act/resolve/", {"fix_summary": "F", "validation_evidence": "E"}
    )
    html = response.content.decode()
    assert html.count("Your role may not resolve") == 1
    assert Problem.objects.get(pk=prb.pk).status == "known_error"
    assert client_for(people.analyst).post(f"/problems/{prb.reference}/act/nope/").status_code == 404
    assert client_for(people.reporter).get(f"/problems/{prb.reference}/").status_code == 404


# ---- raising a problem ------------------------------------------------------------------
def test_raising_a_problem_from_an_incident_prefills_its_title_service_and_link(people, make):
    incident = make("in_progress", title="Printer on floor 3 jams")
    client = client_for(people.l1)
    html = client.get(f"/problems/new/?incident={incident.reference}").content.decode()
    assert f'value="{incident.title}"' in html and f'value="{incident.reference}"' in html
    assert f'<option value="{incident.affected_service.reference}" selected>' in html
    form = {"title": incident.title, "affected_service": incident.affected_service.reference,
            "incidents": incident.reference, "description": "", "symptom": "", "owner_team": "",
            "assignee": ""}  # fmt: skip
    response = client.post("/problems/new/", form)
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/problems/{problem.reference}/"
    assert list(problem.incidents.all()) == [incident]


def test_a_duplicate_raised_in_the_browser_links_to_the_existing_problem(people, problem, svc):
    existing = problem("new", title="Printer jams on tray 2")
    response = client_for(people.analyst).post(
        "/problems/new/", {"title": "Printer jams on tray 2", "affected_service": svc.reference}
    )
    html = response.content.decode()
    assert html.count(f"already covers this: {existing.reference}") == 1
    assert f'href="/problems/{existing.reference}/"' in html
    assert Problem.objects.count() == 1


def test_readers_do_not_get_the_form(people):
    html = client_for(people.auditor).get("/problems/new/").content.decode()
    assert "may not raise them" in html and '<form method="post" action="/problems/new/"' not in html


# ---- the incident page ------------------------------------------------------------------
def test_the_incident_page_lists_its_problems_and_offers_the_link(people, problem, make):
    incident = make("open")
    prb = problem("new", incidents=[incident.reference])
    html = client_for(people.l1).get(f"/incidents/{incident.reference}/").content.decode()
    assert f'data-problem="{prb.reference}"' in html and ">New</span>" in html
    assert f'action="/incidents/{incident.reference}/link-problem/"' in html
    assert f'href="/problems/new/?incident={incident.reference}"' in html
    auditor = client_for(people.auditor).get(f"/incidents/{incident.reference}/").content.decode()
    assert f'data-problem="{prb.reference}"' in auditor and "link-problem" not in auditor
    reporter = client_for(people.reporter).get(f"/incidents/{incident.reference}/").content.decode()
    assert 'data-testid="problems"' not in reporter and prb.reference not in reporter


def test_linking_from_the_incident_page(people, problem, make):
    incident, prb = make("open"), problem("new")
    client = client_for(people.l1)
    url = f"/incidents/{incident.reference}/link-problem/"
    response = client.post(url, {"problem": prb.reference.lower()})
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.reference}/"
    assert ProblemIncident.objects.filter(problem=prb, incident=incident).exists()
    again = client.post(url, {"problem": prb.reference}).content.decode()
    assert again.count(f"{incident.reference} is already linked to {prb.reference}; nothing to do.") == 1
    unknown = client.post(url, {"problem": "PRB-999999"}).content.decode()
    assert unknown.count("Problem PRB-999999 was not found.") == 1
    assert client.get(url).status_code == 200
    refused = client_for(people.auditor).get(url)
    assert refused.status_code == 403 and b"Your role may not link incidents to problems." in refused.content
    assert client_for(people.reporter).post(url, {"problem": prb.reference}).status_code == 404
    assert ProblemIncident.objects.count() == 1


def test_two_panels_with_a_field_of_the_same_name_give_it_ids_of_their_own(client, people, problem):
    """Edit and Record workaround both ask for the symptom: each label points at its own field."""
    import re
    from collections import Counter

    prb = problem("under_investigation")
    client.force_login(people.analyst)
    html = client.get(f"/problems/{prb.reference}/").content.decode()
    assert 'id="update-id_symptom"' in html and 'id="record_workaround-id_symptom"' in html
    assert 'for="record_workaround-id_symptom"' in html
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert not [i for i, n in ids.items() if n > 1], ids
