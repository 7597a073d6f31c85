"""Input the incident API used to drop or crash on: fields an operation does not take (a
PATCH of ``priority``, a typo in an action body) and date filters PostgreSQL cannot
store; texts and bodies past their limits. Each is a 400 validation_error naming the field,
and changes nothing."""

import hashlib

import pytest
from django.test import Client

from audit.models import AuditEvent
from core.errors import DomainError
from incidents import services
from incidents.models import Incident
from tests.helpers import assert_error
from tests.incidents.factories import reload

INCIDENTS = "/api/v1/incidents/"


def url(ref: str, action: str | None = None) -> str:
    return f"{INCIDENTS}{ref}/" + (f"{action}/" if action else "")


def snapshot(incident) -> dict:
    row = Incident.objects.filter(pk=incident.pk).values().get()
    return {"row": row, "audit": AuditEvent.objects.count()}


# ---- fields an operation does not take ----------------------------------------------------
def test_patch_with_priority_is_refused_naming_the_prioritize_action(api, people, make):
    inc = make("in_progress", priority="P3")
    before = snapshot(inc)
    response = api(people.im).patch(url(inc.reference), {"priority": "P1"}, format="json")
    error = assert_error(
        response,
        400,
        "validation_error",
        message="Invalid input. priority: Not changed here; use the prioritize/ action.",
    )
    assert error["fields"] == {"priority": ["Not changed here; use the prioritize/ action."]}
    assert snapshot(inc) == before
    assert reload(inc).priority == "P3"


def test_patch_names_every_refused_field_with_a_valid_one_beside_them(api, people, make):
    inc = make("in_progress")
    before = snapshot(inc)
    body = {"title": "New title", "assignee": people.l1.username, "created_at": "2026-01-01", "titel": "x"}
    response = api(people.im).patch(url(inc.reference), body, format="json")
    error = assert_error(response, 400, "validation_error")
    assert error["fields"] == {
        "assignee": ["Not changed here; use the assign/ action."],
        "created_at": ["Read-only; IMS sets it."],
        "titel": ["Unknown field; this operation accepts: version, title, subcategory."],
    }
    assert error["message"] == (
        "Invalid input. assignee: Not changed here; use the assign/ action.; "
        "created_at: Read-only; IMS sets it.; "
        "titel: Unknown field; this operation accepts: version, title, subcategory."
    )
    assert snapshot(inc) == before


def test_patch_of_title_alone_still_works(api, people, make):
    """The other side: the strict check must not refuse what PATCH does take."""
    inc = make("in_progress")
    response = api(people.im).patch(url(inc.reference), {"title": "Renamed", "version": inc.version})
    assert response.status_code == 200, response.json()
    assert reload(inc).title == "Renamed"


def test_an_action_body_with_a_misspelt_field_is_refused(api, people, make):
    inc = make("open")
    before = snapshot(inc)
    body = {"impact": "high", "urgency": "high", "justificaton": "Payroll day."}
    response = api(people.im).post(url(inc.reference, "prioritize"), body, format="json")
    error = assert_error(
        response,
        400,
        "validation_error",
        message="Invalid input. justificaton: Unknown field; this operation accepts: "
        "version, priority, impact, urgency, justification.",
    )
    assert list(error["fields"]) == ["justificaton"]
    assert snapshot(inc) == before


def test_create_with_an_unknown_field_is_refused_and_creates_nothing(api, people, svc):
    body = {"title": "Printer", "impact": "low", "urgency": "low", "affected_service": svc.reference}
    response = api(people.analyst).post(INCIDENTS, {**body, "status": "resolved"}, format="json")
    error = assert_error(response, 400, "validation_error", contains="status: Unknown field;")
    assert list(error["fields"]) == ["status"]
    assert not Incident.objects.exists()


# ---- date filters -------------------------------------------------------------------------
@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+23:59"])
def test_a_date_filter_offset_past_1559_is_a_validation_error(api, people, make, offset):
    make("open")
    response = api(people.analyst).get(INCIDENTS, {"created_after": f"2026-01-01T00:00:00{offset}"})
    error = assert_error(
        response,
        400,
        "validation_error",
        message="Invalid input. created_after: Enter a UTC offset between -15:59 and +15:59.",
    )
    assert error["fields"] == {"created_after": ["Enter a UTC offset between -15:59 and +15:59."]}


def test_a_date_filter_that_leaves_the_datetime_range_in_utc_is_a_validation_error(api, people):
    response = api(people.analyst).get(INCIDENTS, {"created_before": "0001-01-01T00:00:00+01:00"})
    assert_error(
        response,
        400,
        "validation_error",
        message="Invalid input. created_before: Enter a date/time between years 1 and 9999 in UTC.",
    )


def test_a_date_filter_at_the_largest_offset_filters(api, people, make):
    inc = make("open")
    created = inc.created_at.astimezone().replace(microsecond=0)
    response = api(people.analyst).get(INCIDENTS, {"created_before": "2999-01-01T00:00:00+15:59"})
    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [inc.reference]
    later = f"{created.year + 1}-01-01T00:00:00-15:59"
    response = api(people.analyst).get(INCIDENTS, {"created_after": later})
    assert response.json()["count"] == 0


def test_the_workspace_shows_a_bad_date_filter_instead_of_failing(people, make):
    make("open")
    client = Client()
    client.force_login(people.analyst)
    page = client.get("/incidents/", {"queue": "all", "created_after": "2026-01-01T00:00:00+16:00"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Some filters are invalid: created_after: Enter a UTC offset between -15:59 and +15:59." in text


# ---- size limits (issue 15 #6) ----------------------------------------------------------
def test_a_description_past_its_limit_is_refused_and_creates_nothing(api, people, svc):
    body = {"title": "Big", "impact": "low", "urgency": "low", "affected_service": svc.reference}
    before = Incident.objects.count(), AuditEvent.objects.count()
    response = api(people.analyst).post(INCIDENTS, {**body, "description": "x" * 10_001}, format="json")
    error = assert_error(
        response, 400, "validation_error", message="description is 10001 characters long; the limit is 10000."
    )
    assert error["fields"] == {"description": ["At most 10000 characters."]}
    assert (Incident.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize("content_type", ["json", "multipart"])
def test_a_body_past_the_request_limit_is_a_validation_error_envelope(
    api, people, make, settings, content_type
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    inc = make("in_progress")
    response = api(people.im).post(
        f"{INCIDENTS}{inc.reference}/log/", {"diagnosis": "y" * 60_000}, format=content_type
    )
    assert_error(
        response,
        400,
        "validation_error",
        message="The request body is larger than 50000 bytes, the most an IMS request may carry.",
    )
    assert reload(inc).version == inc.version


def test_a_diagnosis_grows_only_to_its_overall_limit(people, make):
    inc = make("in_progress")
    for _ in range(10):
        services.incident_diagnose(incident=inc.reference, actor=people.im, steps="z" * 9_950)
    before = reload(inc)
    with pytest.raises(DomainError) as refused:
        services.incident_diagnose(incident=inc.reference, actor=people.im, steps="z" * 9_950)
    assert refused.value.code == "validation_error"
    assert refused.value.message.startswith(f"The diagnosis of {inc.reference} would be ")
    assert refused.value.message.endswith(
        "characters long; the limit is 100000. Summarize it in a linked problem or KB article instead."
    )
    assert reload(inc).version == before.version


def test_the_audit_event_keeps_an_excerpt_of_a_long_text_not_the_text(people, make):
    inc = make("in_progress")
    steps = "Collected the core dump. " * 360  # 9,000 characters
    services.incident_diagnose(incident=inc.reference, actor=people.im, steps=steps)
    event = AuditEvent.objects.filter(ref_id=inc.reference).order_by("-seq").first()
    old, kept = event.changes["diagnosis"]
    digest = hashlib.sha256(steps.strip().encode()).hexdigest()
    assert kept == f"{steps[:200]}… [{len(steps.strip())} characters, sha256 {digest}]"
    assert len(str(event.changes)) < 600
    assert reload(inc).diagnosis.endswith(steps.strip())  # the record keeps it whole


def test_list_rows_leave_the_long_texts_to_the_detail(api, people, make):
    inc = make("in_progress")
    services.incident_diagnose(incident=inc.reference, actor=people.im, steps="w" * 9_000)
    row = api(people.im).get(INCIDENTS, {"page_size": 200}).json()["results"][0]
    assert row["id"] == inc.reference
    for field in ("description", "diagnosis", "workaround", "resolution_summary", "closure_notes"):
        assert field not in row, field
    assert "w" * 9_000 in api(people.im).get(f"{INCIDENTS}{inc.reference}/").json()["diagnosis"]


# ---- lookups are audited (issue 15 #9, SOP 1) -------------------------------------------
def _lookups():
    return list(AuditEvent.objects.filter(domain_action="identify", ref_id="lookup").order_by("seq"))


def test_a_filtered_api_list_is_an_identify_event_with_the_filters_only(api, people, make):
    make("open")
    api(people.analyst).get(INCIDENTS)  # a plain list: no lookup
    api(people.analyst).get(INCIDENTS, {"page": 1, "page_size": 10})  # paging: no lookup either
    assert _lookups() == []
    response = api(people.analyst).get(INCIDENTS, {"status": "open", "q": "printer", "page_size": 5})
    assert response.status_code == 200
    [event] = _lookups()
    assert (event.ref_type, event.actor, event.changes) == ("incident", people.analyst, None)
    assert event.additional_data == {"via": "api", "filters": {"status": "open", "q": "printer"}}
    assert api(people.analyst).get(INCIDENTS, {"status": "bogus"}).status_code == 400
    assert len(_lookups()) == 1  # a refused lookup looked nothing up


def test_a_workspace_search_is_a_lookup_and_its_refreshes_are_not(people, make):
    make("open")
    client = Client()
    client.force_login(people.analyst)
    client.get("/incidents/", {"queue": "all"})
    assert _lookups() == []
    client.get("/incidents/", {"queue": "all", "priority": "P3", "q": "mail"})
    client.get(
        "/incidents/", {"queue": "all", "priority": "P3", "q": "mail"}, headers={"X-IMS-Background": "1"}
    )
    [event] = _lookups()
    assert event.additional_data == {"via": "workspace", "filters": {"priority": "P3", "q": "mail"}}
