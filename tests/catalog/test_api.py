"""The service catalog and vendor registry over the API."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditEvent
from catalog.models import BusinessCalendar, Service, Vendor, VendorContact
from catalog.services import service_create
from tests.helpers import assert_error

SERVICES = "/api/v1/services/"
VENDORS = "/api/v1/vendors/"
REFUSED = "Only an admin or an incident manager may add services to the catalog."


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="cat-admin")


# --- create ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "incident_manager"])
def test_editors_create_services(api, make_user, role):
    user = make_user(role)
    response = api(user).post(
        SERVICES,
        {"name": "Mail", "description": "Exchange", "criticality": "high", "owner_team": "L2"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"SVC-\d{6}", body["id"])
    assert body["name"] == "Mail"
    assert body["criticality"] == "high"
    assert body["owner_team"] == "L2"
    assert body["depends_on"] == []
    assert body["is_active"] is True
    assert body["created_at"] and body["updated_at"]

    service = Service.objects.get(reference=body["id"])
    assert service.owner_team.code == "L2"
    event = AuditEvent.objects.get(ref_id=body["id"])
    assert event.domain_action == "create"
    assert event.ref_type == "service"
    assert event.actor_label == user.username
    assert event.changes == {
        "name": [None, "Mail"],
        "criticality": [None, "high"],
        "owner_team": [None, "L2"],
        "depends_on": [None, []],
    }


def test_defaults_and_dependencies(api, admin):
    client = api(admin)
    mail = client.post(SERVICES, {"name": "Mail"}, format="json").json()
    dns = client.post(SERVICES, {"name": "DNS"}, format="json").json()
    response = client.post(SERVICES, {"name": "Portal", "depends_on": [dns["id"], mail["id"]]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["criticality"] == "medium"
    assert body["owner_team"] is None
    assert sorted(body["depends_on"]) == sorted([mail["id"], dns["id"]])
    assert set(Service.objects.get(reference=body["id"]).depends_on.values_list("reference", flat=True)) == {
        mail["id"],
        dns["id"],
    }


@pytest.mark.parametrize("role", ["service_desk", "l2", "end_user"])
def test_other_roles_may_not_create_services(api, make_user, role):
    response = api(make_user(role)).post(SERVICES, {"name": "Mail"}, format="json")
    assert_error(response, 403, "permission_denied", message=REFUSED)
    assert not Service.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unknown_dependency_is_refused(api, admin):
    response = api(admin).post(SERVICES, {"name": "Portal", "depends_on": ["SVC-999999"]}, format="json")
    error = assert_error(response, 400, "validation_error", message="No active service SVC-999999.")
    assert error["fields"] == {"depends_on": ["Unknown: SVC-999999"]}
    assert not Service.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unknown_owner_team_is_refused(api, admin):
    response = api(admin).post(SERVICES, {"name": "Portal", "owner_team": "night_shift"}, format="json")
    error = assert_error(response, 400, "validation_error", message="No team night_shift.")
    assert error["fields"] == {"owner_team": ["Unknown team night_shift."]}
    assert not Service.objects.exists()


def test_blank_name_is_refused(api, admin):
    response = api(admin).post(SERVICES, {"name": "   "}, format="json")
    error = assert_error(response, 400, "validation_error")
    assert "name" in error["fields"]
    assert not Service.objects.exists()


# --- read --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["end_user", "service_desk", "l2", "auditor"])
def test_any_signed_in_user_lists_and_reads_services(api, make_user, admin, role):
    mail = service_create(actor=admin, name="Mail", criticality="high")
    client = api(make_user(role))
    listing = client.get(SERVICES)
    assert listing.status_code == 200, listing.content
    body = listing.json()
    assert body["count"] == 1
    assert set(body) == {"count", "next", "previous", "results"}
    assert [s["id"] for s in body["results"]] == [mail.reference]

    detail = client.get(f"{SERVICES}{mail.reference}/")
    assert detail.status_code == 200
    assert detail.json()["id"] == mail.reference
    assert detail.json()["name"] == "Mail"


def test_anonymous_may_not_read_services(db):
    assert_error(APIClient().get(SERVICES), 401, "not_authenticated")


def test_filters(api, make_user, admin):
    mail = service_create(actor=admin, name="Mail", criticality="high", owner_team="L2")
    service_create(actor=admin, name="VPN", criticality="low")
    client = api(make_user("end_user"))
    assert [s["id"] for s in client.get(f"{SERVICES}?criticality=high").json()["results"]] == [mail.reference]
    assert [s["id"] for s in client.get(f"{SERVICES}?owner_team=L2").json()["results"]] == [mail.reference]
    assert [s["id"] for s in client.get(f"{SERVICES}?q=mai").json()["results"]] == [mail.reference]
    assert client.get(f"{SERVICES}?q={mail.reference}").json()["count"] == 1
    assert_error(client.get(f"{SERVICES}?criticality=extreme"), 400, "validation_error")


# --- update ------------------------------------------------------------------------------


def test_admin_patch_writes_an_update_event_with_the_delta(api, admin):
    mail = service_create(actor=admin, name="Mail")
    dns = service_create(actor=admin, name="DNS")
    response = api(admin).patch(
        f"{SERVICES}{mail.reference}/",
        {"criticality": "high", "depends_on": [dns.reference], "calendar": "24x7"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["criticality"], body["depends_on"], body["calendar"]) == ("high", [dns.reference], "24x7")
    mail.refresh_from_db()
    assert mail.criticality == "high"
    assert mail.calendar == BusinessCalendar.objects.get(name="24x7")

    event = AuditEvent.objects.get(ref_id=mail.reference, domain_action="update")
    assert event.actor_label == "cat-admin"
    assert event.changes == {
        "criticality": ["medium", "high"],
        "depends_on": [[], [dns.reference]],
        "calendar": [None, "24x7"],
    }


def test_patch_without_a_change_writes_no_event(api, admin):
    mail = service_create(actor=admin, name="Mail", criticality="high")
    response = api(admin).patch(f"{SERVICES}{mail.reference}/", {"criticality": "high"}, format="json")
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(domain_action="update").exists()


def test_service_may_not_depend_on_itself(api, admin):
    mail = service_create(actor=admin, name="Mail")
    response = api(admin).patch(
        f"{SERVICES}{mail.reference}/", {"depends_on": [mail.reference]}, format="json"
    )
    assert_error(response, 400, "validation_error", message=f"{mail.reference} cannot depend on itself.")
    assert not mail.depends_on.exists()


@pytest.mark.parametrize("role", ["service_desk", "end_user"])
def test_other_roles_may_not_patch(api, make_user, admin, role):
    mail = service_create(actor=admin, name="Mail")
    response = api(make_user(role)).patch(
        f"{SERVICES}{mail.reference}/", {"criticality": "high"}, format="json"
    )
    assert_error(
        response,
        403,
        "permission_denied",
        message="Only an admin or an incident manager may change services.",
    )
    mail.refresh_from_db()
    assert mail.criticality == "medium"
    assert not AuditEvent.objects.filter(domain_action="update").exists()


# --- vendors -----------------------------------------------------------------------------


def test_vendor_created_with_contacts(api, admin):
    response = api(admin).post(
        VENDORS,
        {
            "name": "Acme Networks",
            "website": "https://acme.example",
            "contacts": [
                {"name": "Ann", "role": "TAM", "email": "ann@acme.example", "phone": "+44 1"},
                {"name": "Bob", "email": "bob@acme.example"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"VND-\d{6}", body["id"])
    assert body["contacts"] == [
        {"name": "Ann", "role": "TAM", "email": "ann@acme.example", "phone": "+44 1"},
        {"name": "Bob", "role": "", "email": "bob@acme.example", "phone": ""},
    ]
    vendor = Vendor.objects.get(reference=body["id"])
    assert list(VendorContact.objects.filter(vendor=vendor).values_list("name", flat=True)) == ["Ann", "Bob"]
    event = AuditEvent.objects.get(ref_id=body["id"])
    assert event.domain_action == "create"
    assert event.changes == {"name": [None, "Acme Networks"], "contacts": [None, ["Ann", "Bob"]]}


def test_vendor_contact_with_bad_email_is_refused(api, admin):
    response = api(admin).post(
        VENDORS, {"name": "Acme", "contacts": [{"name": "Ann", "email": "not-an-email"}]}, format="json"
    )
    error = assert_error(response, 400, "validation_error")
    assert "contacts" in error["fields"]
    assert not Vendor.objects.exists()


def test_duplicate_vendor(api, admin):
    client = api(admin)
    ref = client.post(VENDORS, {"name": "Acme"}, format="json").json()["id"]
    error = assert_error(client.post(VENDORS, {"name": "ACME"}, format="json"), 409, "duplicate")
    assert error["fields"] == {"existing": ref}


def test_vendors_are_hidden_from_end_users(api, make_user, admin):
    client = api(admin)
    ref = client.post(VENDORS, {"name": "Acme"}, format="json").json()["id"]
    end_user = api(make_user("end_user"))
    error = assert_error(end_user.get(VENDORS), 403, "permission_denied")
    assert error["message"].startswith("Your role may not do this. Required: ")
    assert "end_user" not in error["message"]
    assert_error(end_user.get(f"{VENDORS}{ref}/"), 403, "permission_denied")


def test_staff_list_vendors(api, make_user, admin):
    api(admin).post(VENDORS, {"name": "Acme"}, format="json")
    response = api(make_user("service_desk")).get(VENDORS)
    assert response.status_code == 200
    assert [v["name"] for v in response.json()["results"]] == ["Acme"]


@pytest.mark.parametrize("role", ["service_desk", "l2"])
def test_staff_may_not_register_vendors(api, make_user, role):
    response = api(make_user(role)).post(VENDORS, {"name": "Acme"}, format="json")
    assert_error(
        response,
        403,
        "permission_denied",
        message="Only an admin or an incident manager may register vendors.",
    )
    assert not Vendor.objects.exists()


# --- pagination and queries --------------------------------------------------------------


def _bulk_services(count: int) -> None:
    Service.objects.bulk_create(
        [Service(reference=f"SVC-{n:06d}", name=f"Service {n:03d}") for n in range(1, count + 1)]
    )


def test_page_size_is_honoured(api, admin):
    _bulk_services(5)
    client = api(admin)
    body = client.get(f"{SERVICES}?page_size=2").json()
    assert body["count"] == 5
    assert [s["id"] for s in body["results"]] == ["SVC-000001", "SVC-000002"]
    assert body["next"] and "page=2" in body["next"]
    assert body["previous"] is None
    last = client.get(f"{SERVICES}?page_size=2&page=3").json()
    assert [s["id"] for s in last["results"]] == ["SVC-000005"]
    assert last["next"] is None


def test_default_page_size_is_50_and_page_size_is_capped_at_200(api, admin):
    _bulk_services(205)
    client = api(admin)
    assert len(client.get(SERVICES).json()["results"]) == 50
    assert len(client.get(f"{SERVICES}?page_size=200").json()["results"]) == 200
    capped = client.get(f"{SERVICES}?page_size=1000").json()
    assert capped["count"] == 205
    assert len(capped["results"]) == 200


def test_page_out_of_range_is_not_found(api, admin):
    _bulk_services(3)
    assert_error(api(admin).get(f"{SERVICES}?page=9"), 404, "not_found")


def test_list_query_count_does_not_grow_with_services(api, admin):
    client = api(admin)
    client.get(SERVICES)  # the token's first use writes last_used_at once

    def list_queries(expected: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{SERVICES}?page_size=200")
        assert response.status_code == 200
        assert response.json()["count"] == expected
        return len(ctx.captured_queries)

    calendar = BusinessCalendar.objects.get(name="24x7")
    base = service_create(actor=admin, name="Base", owner_team="L2", calendar=calendar.name)
    with_one = list_queries(1)

    for n in range(19):
        service_create(
            actor=admin,
            name=f"Service {n}",
            owner_team="L3",
            calendar=calendar.name,
            depends_on=[base.reference],
        )
    with_twenty = list_queries(20)
    assert with_twenty == with_one, f"{with_one} queries for 1 service, {with_twenty} for 20"


def test_unknown_vendor_is_not_found_by_reference(api, admin):
    assert_error(
        api(admin).get(f"{VENDORS}VND-999999/"), 404, "not_found", message="Vendor VND-999999 was not found."
    )


def test_vendor_update_writes_the_delta_and_refuses_other_roles(make_user, admin):
    from catalog.services import vendor_create, vendor_update
    from core.errors import DomainError

    vendor = vendor_create(actor=admin, name="Contoso")
    with pytest.raises(DomainError) as refused:
        vendor_update(actor=make_user("service_desk"), vendor=vendor, name="Contoso Ltd")
    assert (refused.value.code, refused.value.message) == (
        "permission_denied",
        "Only an admin or an incident manager may change vendors.",
    )
    with pytest.raises(DomainError) as refused:
        vendor_update(actor=admin, vendor=vendor, name="  ")
    assert (refused.value.code, refused.value.message) == ("validation_error", "A vendor needs a name.")
    vendor.refresh_from_db()
    assert vendor.name == "Contoso"
    assert AuditEvent.objects.filter(ref_id=vendor.reference, domain_action="update").count() == 0

    vendor_update(actor=admin, vendor=vendor, name="Contoso Ltd")
    event = AuditEvent.objects.get(ref_id=vendor.reference, domain_action="update")
    assert event.changes == {"name": ["Contoso", "Contoso Ltd"]}
