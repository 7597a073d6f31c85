"""change_create: a normal change goes to the CAB, a standard one is pre-approved, an
emergency one waits (or is bypassed); every refusal changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from catalog.models import Service
from changes.models import Change, ChangeIncidentLink
from changes.services import change_create
from core.errors import ErrorCode
from incidents.models import Incident
from knowledge.services import article_create
from tests.changes.checks import events_of, refused
from tests.changes.factories import window

E = ErrorCode


def _body(svc, **kw):
    start, end = window()
    body = {
        "summary": "Upgrade the mail relay", "type": "normal", "risk": "medium", "window_start": start,
        "window_end": end, "rollback_plan": "Reinstall 2.3.", "affected_services": [svc.reference],
    }  # fmt: skip
    body.update(kw)
    return body


def test_a_normal_change_is_requested_pending_for_the_cab(cast, svc):
    change = change_create(actor=cast.analyst, **_body(svc, description="Relay 2.4 fixes the TLS bug."))
    assert change.reference.startswith("CHG-") and change.status == "pending" and change.version == 1
    assert change.requester == cast.analyst and change.approver is None and change.approved_at is None
    assert list(change.affected_services.all()) == [svc]
    (event,) = events_of(change.reference)
    assert (event.domain_action, event.ref_type, event.actor_label) == (
        "create",
        "change",
        cast.analyst.username,
    )
    assert event.changes == {
        "summary": [None, "Upgrade the mail relay"], "type": [None, "normal"], "risk": [None, "medium"],
        "status": [None, "pending"], "affected_services": [None, [svc.reference]],
        "implementation_window": [None, [change.window_start.isoformat(), change.window_end.isoformat()]],
    }  # fmt: skip
    assert event.additional_data is None


def test_a_standard_change_is_pre_approved_and_audited_as_such(cast, svc):
    change = change_create(
        actor=cast.l2, summary="Rotate the relay's certificate", type="standard", risk="low",
        affected_services=[svc.reference],
    )  # fmt: skip
    assert change.status == "approved" and change.approved_at is not None and change.approver is None
    (event,) = events_of(change.reference)
    assert event.changes["status"] == [None, "approved"]
    assert event.additional_data == {"pre_approved": True}


def test_an_emergency_change_needs_no_window_but_a_rollback_plan(cast, svc):
    change = change_create(
        actor=cast.im, summary="Fail over the relay", type="emergency", risk="high",
        rollback_plan="Fail back.", affected_services=[svc.reference],
    )  # fmt: skip
    assert change.status == "pending" and change.window_start is None


def test_requested_for_an_incident_it_is_linked_as_raised_for_until_approved(cast, make, svc):
    incident = make("in_progress")
    change = change_create(
        actor=cast.analyst, incident=incident.reference, **_body(svc, affected_services=[])
    )
    link = ChangeIncidentLink.objects.get()
    assert (link.change, link.incident, link.relation, link.linked_by) == (
        change,
        incident,
        "raised_for",
        cast.analyst,
    )
    assert list(change.affected_services.all()) == [incident.affected_service]  # the incident's service
    assert Incident.objects.get(pk=incident.pk).version == incident.version + 1
    # one append: the incident's update, then the change's create (the head of the trail)
    update, create = AuditEvent.objects.order_by("-seq")[:2][::-1]
    assert (update.ref_id, update.domain_action) == (incident.reference, "update")
    assert update.changes == {"change_link": [None, change.reference]}
    assert update.additional_data == {"relation": "raised_for"}
    assert (create.ref_id, create.domain_action) == (change.reference, "create")
    assert create.additional_data == {"incident": incident.reference, "relation": "raised_for"}


def test_a_standard_change_requested_for_an_incident_is_its_fix_at_once(cast, make, svc):
    incident = make("in_progress")
    change = change_create(
        actor=cast.analyst,
        summary="Restart the relay",
        type="standard",
        risk="low",
        incident=incident.reference,
    )
    assert ChangeIncidentLink.objects.get().relation == "fixes"
    assert events_of(change.reference)[0].additional_data == {
        "pre_approved": True, "incident": incident.reference, "relation": "fixes",
    }  # fmt: skip


def test_kb_articles_are_linked(cast, svc):
    article = article_create(actor=cast.l2, title="Relay upgrade", body="Steps.", type="prevention")
    change = change_create(actor=cast.analyst, articles=[article.reference], **_body(svc))
    assert list(change.articles.all()) == [article]
    assert list(article.changes.all()) == [change]
    assert events_of(change.reference)[0].additional_data == {"articles": [article.reference]}


def _refusals():
    now = timezone.now()
    return [
        ("reporter", {}, ErrorCode.PERMISSION_DENIED, "Your role may not request changes."),
        ("auditor", {}, ErrorCode.PERMISSION_DENIED, "Your role may not request changes."),
        ("nobody", {}, ErrorCode.PERMISSION_DENIED, "Your role may not request changes."),
        ("analyst", {"summary": "  "}, ErrorCode.VALIDATION_ERROR, "A change needs a summary."),
        ("analyst", {"summary": "x" * 201}, ErrorCode.VALIDATION_ERROR,
         "summary is 201 characters long; the limit is 200."),
        ("analyst", {"type": "minor"}, ErrorCode.VALIDATION_ERROR,
         "type must be one of standard, normal, emergency; got 'minor'."),
        ("analyst", {"risk": "extreme"}, ErrorCode.VALIDATION_ERROR,
         "risk must be one of low, medium, high; got 'extreme'."),
        ("analyst", {"rollback_plan": ""}, ErrorCode.VALIDATION_ERROR,
         "A normal change needs a rollback plan: how to undo it if it fails."),
        ("analyst", {"type": "emergency", "rollback_plan": " "}, ErrorCode.VALIDATION_ERROR,
         "An emergency change needs a rollback plan: how to undo it if it fails."),
        ("analyst", {"window_start": None, "window_end": None}, ErrorCode.VALIDATION_ERROR,
         "A normal change goes to the CAB with its implementation window; give its start and end."),
        ("analyst", {"window_end": None}, ErrorCode.VALIDATION_ERROR,
         "An implementation window needs both its start and its end."),
        ("analyst", {"window_start": now, "window_end": now - timedelta(minutes=1)}, E.VALIDATION_ERROR,
         f"The implementation window must end after it starts; it starts {now.isoformat()} and ends "
         f"{(now - timedelta(minutes=1)).isoformat()}."),
        ("analyst", {"type": "standard", "risk": "high"}, ErrorCode.VALIDATION_ERROR,
         "A standard change is pre-approved and so never high risk; request it as a normal change for the "
         "CAB to assess."),
        ("analyst", {"affected_services": ["SVC-999999"]}, ErrorCode.VALIDATION_ERROR,
         "No active service SVC-999999."),
        ("analyst", {"articles": ["KB-999999"]}, ErrorCode.VALIDATION_ERROR, "No KB article KB-999999."),
        ("analyst", {"incident": "INC-999999"}, ErrorCode.VALIDATION_ERROR, "No incident INC-999999."),
    ]  # fmt: skip


@pytest.mark.parametrize(("who", "kwargs", "code", "message"), _refusals())
def test_refusals_change_nothing(cast, svc, who, kwargs, code, message):
    refused(lambda: change_create(actor=getattr(cast, who), **_body(svc, **kwargs)), code, message)


def test_an_inactive_service_is_refused(cast, svc):
    retired = Service.objects.create(name="Fax gateway", is_active=False)
    refused(
        lambda: change_create(actor=cast.analyst, **_body(svc, affected_services=[retired.reference])),
        ErrorCode.VALIDATION_ERROR,
        f"No active service {retired.reference}.",
    )


def test_an_incident_the_requester_may_not_see_is_not_a_valid_input(cast, make, svc):
    secret = make("open", category="security")
    refused(
        lambda: change_create(actor=cast.analyst, incident=secret.reference, **_body(svc)),
        ErrorCode.VALIDATION_ERROR,
        f"No incident {secret.reference}.",
        secret,
    )


def test_requesting_for_an_incident_needs_the_right_to_link_changes_to_it(cast, make, svc):
    incident = make("in_progress", team="L1")
    refused(
        lambda: change_create(actor=cast.l2, incident=incident.reference, **_body(svc)),
        ErrorCode.PERMISSION_DENIED,
        f"You may link changes to {incident.reference} only while it is assigned to your team; it is "
        "assigned to L1.",
        incident,
    )
    refused(
        lambda: change_create(actor=cast.admin, incident=incident.reference, **_body(svc)),
        ErrorCode.PERMISSION_DENIED,
        f"Your role may not link changes to {incident.reference}.",
        incident,
    )
    assert not Change.objects.exists()
