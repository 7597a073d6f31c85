"""The workspace's counts stop at a cap ("1,000+"; here 3+) so they cost the same at any
size of the table; the exact number is one click away, and both keep the visibility rules."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from incidents import paging
from tests.ui import factories

pytestmark = pytest.mark.django_db

REFRESH = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "incident-list", "HTTP_X_IMS_BACKGROUND": "1"}


@pytest.fixture
def cap_of_three(monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)


@pytest.fixture
def desk(make_user):
    reporter = make_user("end_user")
    people = {
        "analyst": make_user("service_desk", team="service_desk"),
        "manager": make_user("incident_manager", team="incident_manager"),
        "reporter": reporter,
    }
    ordinary = [factories.report(reporter) for _ in range(4)]
    secret = [factories.report(reporter, category="security") for _ in range(2)]
    return people, ordinary, secret


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tab_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-queue="(\w+)"[^>]*>[^<]*<span class="count">([^<]*)</span>', html))


def list_count(html: str) -> str:
    return re.search(r"<span data-count>([^<]*)</span>", html).group(1)


def test_counts_past_the_cap_show_a_plus_and_a_link_to_the_exact_number(desk, cap_of_three):
    people, ordinary, secret = desk
    manager = client_for(people["manager"])
    page = manager.get("/incidents/?queue=all").text
    assert tab_counts(page) == {"mine": "0", "team": "0", "unassigned": "3+", "breaching": "0", "all": "3+"}
    assert list_count(page) == "3+ incidents"
    link = re.search(r'<a href="\?([^"]*)" data-count-exactly>count them all</a>', page)
    assert link and link.group(1) == "queue=all&amp;count=exact"
    exact = manager.get("/incidents/?queue=all&count=exact").text
    assert list_count(exact) == "6 incidents" and "data-count-exactly" not in exact
    assert tab_counts(exact)["all"] == "6" and tab_counts(exact)["unassigned"] == "3+"
    # the queue links leave the exact count behind; paging and the refresh keep it
    assert 'href="?queue=unassigned"' in exact
    assert 'hx-get="/incidents/?queue=all&amp;count=exact"' in exact


def test_counts_within_the_cap_are_exact(desk):
    people, _, _ = desk
    page = client_for(people["manager"]).get("/incidents/?queue=all").text
    assert tab_counts(page)["all"] == "6" and list_count(page) == "6 incidents"
    assert "data-count-exactly" not in page


def test_capped_and_exact_counts_leave_out_what_the_viewer_may_not_see(desk, cap_of_three):
    """The service desk does not see security incidents: not in the list, not in a count."""
    people, ordinary, secret = desk
    analyst = client_for(people["analyst"])
    assert list_count(analyst.get("/incidents/?queue=all").text) == "3+ incidents"
    exact = analyst.get("/incidents/?queue=all&count=exact").text
    assert list_count(exact) == "4 incidents" and tab_counts(exact)["all"] == "4"
    assert not any(incident.reference in exact for incident in secret)
    filtered = analyst.get("/incidents/?queue=all&category=security&count=exact").text
    assert list_count(filtered) == "0 incidents" and tab_counts(filtered)["all"] == "3+"


def test_a_filtered_list_counts_its_own_rows(desk, cap_of_three):
    people, ordinary, _ = desk
    manager = client_for(people["manager"])
    page = manager.get("/incidents/?queue=all&category=security").text
    assert list_count(page) == "2 incidents" and tab_counts(page)["all"] == "3+"


def test_asking_for_the_exact_count_is_not_a_lookup(desk, cap_of_three):
    """SOP 1 audits searches and filtered lists; the exact count of a plain queue is neither."""
    people, _, _ = desk
    lookups = AuditEvent.objects.filter(domain_action="identify", ref_id="lookup")
    manager = client_for(people["manager"])
    manager.get("/incidents/?queue=all&count=exact")
    assert not lookups.exists()
    manager.get("/incidents/?queue=all&status=open&count=exact")
    assert list(lookups.values_list("additional_data", flat=True))[-1]["filters"] == {"status": "open"}


def test_the_refresh_counts_only_its_list(desk, cap_of_three):
    people, _, _ = desk
    manager = client_for(people["manager"])
    full = _queries(manager, "/incidents/?queue=all")
    refresh = _queries(manager, "/incidents/?queue=all", **REFRESH)
    response = manager.get("/incidents/?queue=all", **REFRESH)
    assert 'data-queue="' not in response.text and list_count(response.text) == "3+ incidents"
    assert refresh == full  # the tabs' one statement and the list's own count trade places


def test_pages_past_the_cap_page_on_without_a_total(make_user, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    monkeypatch.setattr("incidents.views.PAGE_SIZE", 2)
    reporter = make_user("end_user")
    refs = [factories.report(reporter).reference for _ in range(5)]
    manager = client_for(make_user("incident_manager"))
    first = manager.get("/incidents/?queue=all").text
    assert "Page 1<" in first and 'rel="next"' in first and 'rel="prev"' not in first
    third = manager.get("/incidents/?queue=all&page=3").text
    assert refs[0] in third and "Page 3<" in third and 'rel="next"' not in third
    exact = manager.get("/incidents/?queue=all&count=exact&page=9").text
    assert "Page 3 of 3" in exact and refs[0] in exact


def _queries(client, url, **headers) -> int:
    client.get(url, **headers)
    with CaptureQueriesContext(connection) as captured:
        client.get(url, **headers)
    return len(captured)


def test_rows_with_security_incidents_cost_the_same_queries_for_2_as_for_12(desk):
    """Showing a security incident is an audited read of its reference and title: the rows
    carry what that needs (no deferred column read per row)."""
    people, _, secret = desk
    manager = client_for(people["manager"])
    few = _queries(manager, "/incidents/?queue=all")
    for _ in range(10):
        factories.report(people["reporter"], category="security")
    assert _queries(manager, "/incidents/?queue=all") == few
    reads = AuditEvent.objects.filter(domain_action="read", actor_label=people["manager"].username)
    assert reads.count() == 12
