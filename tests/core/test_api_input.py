"""Input that used to crash the API or be dropped silently, for every endpoint: bodies
nested too deep, page numbers below 1, fields a serializer does not take (nested ones
too), date filters PostgreSQL cannot store, and unknown URLs under /api/ in DEBUG mode."""

import json

import pytest
from django.test import Client, override_settings
from django.urls import clear_url_caches

from audit.models import AuditEvent
from catalog.models import Service, Vendor
from sla.models import SlaPolicy
from tests.helpers import assert_error

SERVICES = "/api/v1/services/"
DEEP = "Malformed request body: JSON parse error - nested more than 32 levels deep."


@pytest.fixture
def admin(make_user):
    return make_user("admin")


# ---- bodies nested too deep -----------------------------------------------------------------
@pytest.mark.parametrize("depth", [33, 950, 5000])
def test_a_body_nested_too_deep_is_a_validation_error(api, admin, depth):
    body = "[" * depth + "]" * depth
    response = api(admin).post(SERVICES, data=body, content_type="application/json")
    error = assert_error(response, 400, "validation_error", message=DEEP)
    assert error["fields"] == {}
    assert not Service.objects.exists()


def test_a_deep_object_inside_a_field_is_refused_too(api, admin, make_user):
    inner = {}
    for _ in range(950):
        inner = {"a": inner}
    body = json.dumps({"note": "x", "targets": {"P1": inner}})
    response = api(make_user("incident_manager")).post(
        "/api/v1/sla-policies/", data=body, content_type="application/json"
    )
    assert_error(response, 400, "validation_error", message=DEEP)


def test_a_body_at_the_depth_limit_is_parsed(api, admin):
    """32 levels parse (and then fail validation as the wrong shape, not as too deep)."""
    body = {"name": "Mail", "depends_on": json.loads("[" * 31 + "]" * 31)}
    response = api(admin).post(SERVICES, body, format="json")
    error = assert_error(response, 400, "validation_error")
    assert list(error["fields"]) == ["depends_on"]


# ---- pages ------------------------------------------------------------------------------------
# (not named "page": that is pytest-playwright's fixture, and a test asking for it is
# grouped with the browser tests, whose flush then empties the database under the others)
@pytest.mark.parametrize("page_number", ["0", "-1", "abc", "1.5", "²"])
def test_a_page_below_one_or_not_a_number_is_a_validation_error(api, admin, page_number):
    response = api(admin).get(SERVICES, {"page": page_number})
    message = f"page must be a whole number from 1 (or last); got {page_number!r}."
    error = assert_error(response, 400, "validation_error", message=message)
    assert error["fields"] == {"page": ["A whole number from 1, or last."]}


def test_page_one_and_last_answer_and_a_page_past_the_end_is_not_found(api, admin):
    Service.objects.create(name="Mail")
    client = api(admin)
    assert client.get(SERVICES, {"page": "1"}).json()["count"] == 1
    assert client.get(SERVICES, {"page": "last"}).json()["count"] == 1
    assert_error(client.get(SERVICES, {"page": "2"}), 404, "not_found", message="Invalid page.")


# ---- fields a serializer does not take -------------------------------------------------------
def test_an_unknown_field_of_a_create_is_refused(api, admin):
    response = api(admin).post(SERVICES, {"name": "Mail", "criticallity": "high"}, format="json")
    assert_error(
        response,
        400,
        "validation_error",
        message="Invalid input. criticallity: Unknown field; this operation accepts: "
        "name, description, criticality, owner_team, depends_on, calendar.",
    )
    assert not Service.objects.exists()


def test_an_unknown_field_of_a_nested_contact_is_refused(api, admin):
    body = {"name": "Acme", "contacts": [{"name": "Ann", "mail": "ann@example.com"}]}
    response = api(admin).post("/api/v1/vendors/", body, format="json")
    error = assert_error(response, 400, "validation_error")
    assert error["fields"] == {
        "contacts": {"0": {"mail": ["Unknown field; this operation accepts: name, role, email, phone."]}}
    }
    assert not Vendor.objects.exists()


def test_an_unknown_field_of_a_nested_sla_target_is_refused(api, make_user):
    target = {"acknowledge_minutes": 5, "resolve_minutes": 60, "clock": "24x7", "escalate_minutes": 30}
    before = SlaPolicy.objects.count()
    response = api(make_user("incident_manager")).post(
        "/api/v1/sla-policies/", {"targets": {"P1": target}}, format="json"
    )
    error = assert_error(response, 400, "validation_error")
    assert list(error["fields"]["targets"]["P1"]) == ["escalate_minutes"]
    assert SlaPolicy.objects.count() == before


# ---- date filters of the audit list ------------------------------------------------------------
def test_an_audit_date_filter_offset_past_1559_is_a_validation_error(api, make_user):
    response = api(make_user("auditor")).get("/api/v1/audit/", {"created_after": "2026-01-01T00:00:00+16:00"})
    assert_error(
        response,
        400,
        "validation_error",
        message="Invalid input. created_after: Enter a UTC offset between -15:59 and +15:59.",
    )
    assert not AuditEvent.objects.filter(domain_action="read").exists()


# ---- unknown URLs under /api/ --------------------------------------------------------------------
@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    clear_url_caches()
    yield
    clear_url_caches()


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_url_is_the_not_found_envelope_in_debug_mode(api, admin, debug, method):
    response = getattr(api(admin), method)("/api/v1/no-such-thing/")
    assert response["Content-Type"] == "application/json"
    assert_error(response, 404, "not_found", message="No API endpoint at /api/v1/no-such-thing/.")


def test_an_unknown_api_url_without_credentials_is_the_envelope_too(db, debug):
    response = Client().post("/api/nothing", data="{}", content_type="application/json")
    assert_error(response, 404, "not_found", message="No API endpoint at /api/nothing.")


def test_a_missing_trailing_slash_is_named(api, admin, debug):
    response = api(admin).get("/api/v1/services")
    assert_error(
        response,
        404,
        "not_found",
        message="No API endpoint at /api/v1/services; did you mean /api/v1/services/ ?",
    )


@override_settings(DEBUG=False)
def test_an_unknown_api_url_is_the_envelope_without_debug_too(api, admin):
    assert_error(api(admin).get("/api/v2/"), 404, "not_found", message="No API endpoint at /api/v2/.")


def test_an_unknown_page_outside_the_api_is_still_the_html_page(db, debug):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_form_posts_csrf_token_is_not_an_unknown_field(admin):
    """A session form (the browsable API in development) carries its CSRF token in the body."""
    client = Client()
    client.force_login(admin)
    response = client.post(SERVICES, {"name": "Print", "csrfmiddlewaretoken": "x" * 32})
    assert response.status_code == 201, response.content
