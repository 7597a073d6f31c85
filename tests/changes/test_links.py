"""SOP 10 on the incident: link-change as the fix (approved, standard or emergency-implemented
only: 412 otherwise, naming the state) or as the cause (implemented or closed; one per
incident), audited on both records in one append."""

import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from changes.models import ChangeIncidentLink
from changes.services import change_link_incident
from core.errors import ErrorCode
from incidents.models import Incident
from tests.changes.checks import refused

E = ErrorCode
FIX_REFUSED = (
    "{ref} is {state}; only an approved, standard or emergency-implemented change can be linked{tail}."
)
CAUSE_REFUSED = (
    "{ref} is {state}; only an implemented or closed change can be linked as the cause of an incident."
)


@pytest.mark.parametrize("state", ["approved", "standard", "bypassed", "implemented", "retro"])
def test_a_change_that_may_fix_it_is_linked_as_the_fix(cast, chg, make, state):
    incident, change = make("in_progress"), chg(state)
    link = change_link_incident(incident=incident.reference, change=change.reference, actor=cast.analyst)
    assert (link.change, link.incident, link.relation, link.linked_by) == (
        change,
        incident,
        "fixes",
        cast.analyst,
    )
    assert Incident.objects.get(pk=incident.pk).version == incident.version + 1
    link.change.refresh_from_db()
    assert link.change.version == change.version + 1
    update, linked = AuditEvent.objects.order_by("-seq")[:2][::-1]
    assert linked.seq == update.seq + 1  # one append, the change's event last
    assert (update.ref_type, update.ref_id, update.domain_action) == (
        "incident",
        incident.reference,
        "update",
    )
    assert update.changes == {"change_link": [None, change.reference]}
    assert update.additional_data == {"relation": "fixes"}
    assert (linked.ref_type, linked.ref_id, linked.domain_action) == ("change", change.reference, "link")
    assert linked.changes == {"incident_link": [None, incident.reference]}
    assert linked.actor_label == update.actor_label == cast.analyst.username


@pytest.mark.parametrize(
    ("state", "shown", "tail"),
    [("pending", "pending", ""), ("rejected", "rejected", ""),
     ("closed", "closed", " (a closed change can be linked as caused_by)")],
)  # fmt: skip
def test_linking_as_the_fix_is_a_failed_precondition_naming_the_state(cast, chg, make, state, shown, tail):
    incident, change = make("in_progress"), chg(state)
    message = FIX_REFUSED.format(ref=change.reference, state=shown, tail=tail)
    error = refused(
        lambda: change_link_incident(
            incident=incident.reference, change=change.reference, actor=cast.analyst
        ),
        E.PRECONDITION_FAILED,
        message,
        incident,
        change,
    )
    assert error.http_status == 412 and error.fields == {"change": [message]}


def test_the_example_of_the_brief(cast, chg, make):
    incident = make("in_progress")
    for _ in range(2):
        change = chg("pending")
    assert change.reference == "CHG-000002"
    error = refused(
        lambda: change_link_incident(
            incident=incident.reference, change=change.reference, actor=cast.analyst
        ),
        E.PRECONDITION_FAILED,
        "CHG-000002 is pending; only an approved, standard or emergency-implemented change can be linked.",
    )
    assert error.http_status == 412


@pytest.mark.parametrize("state", ["implemented", "closed", "bypassed"])
def test_an_implemented_or_closed_change_is_linked_as_the_cause(cast, chg, make, state):
    incident, change = make("resolved"), chg(state)
    change_link_incident(
        incident=incident.reference, change=change.reference, actor=cast.im, relation="caused_by"
    )
    assert ChangeIncidentLink.objects.get().relation == "caused_by"
    update = AuditEvent.objects.order_by("-seq")[1]
    assert update.additional_data == {"relation": "caused_by"}


@pytest.mark.parametrize(
    ("state", "shown"), [("pending", "pending"), ("approved", "approved"), ("rejected", "rejected")]
)
def test_what_was_never_implemented_caused_nothing(cast, chg, make, state, shown):
    incident, change = make("in_progress"), chg(state)
    refused(
        lambda: change_link_incident(
            incident=incident.reference, change=change.reference, actor=cast.im, relation="caused_by"
        ),
        E.PRECONDITION_FAILED,
        CAUSE_REFUSED.format(ref=change.reference, state=shown),
        incident,
        change,
    )


def test_a_pair_is_linked_once_per_relation(cast, chg, make):
    incident, change = make("in_progress"), chg("implemented")
    change_link_incident(incident=incident.reference, change=change.reference, actor=cast.analyst)
    incident = Incident.objects.get(pk=incident.pk)
    error = refused(
        lambda: change_link_incident(
            incident=incident.reference, change=change.reference, actor=cast.analyst
        ),
        E.DUPLICATE,
        f"{change.reference} is already linked to {incident.reference} as fixes.",
        incident,
        change,
    )
    assert error.fields == {"existing": change.reference}
    # the same change may still be recorded as the cause (it fixed one thing and broke another)
    change_link_incident(
        incident=incident.reference, change=change.reference, actor=cast.analyst, relation="caused_by"
    )
    assert ChangeIncidentLink.objects.count() == 2


def test_an_incident_records_one_cause(cast, chg, make):
    incident, first, second = make("in_progress"), chg("implemented"), chg("closed")
    change_link_incident(
        incident=incident.reference, change=first.reference, actor=cast.im, relation="caused_by"
    )
    incident = Incident.objects.get(pk=incident.pk)
    error = refused(
        lambda: change_link_incident(
            incident=incident.reference, change=second.reference, actor=cast.im, relation="caused_by"
        ),
        E.DUPLICATE,
        f"{incident.reference} already records {first.reference} as the change that caused it; an incident "
        f"has one cause. Link {second.reference} as fixes if it fixed it.",
        incident,
        second,
    )
    assert error.fields == {"existing": first.reference}


def test_the_database_holds_one_cause_per_incident_too(cast, chg, make):
    incident, first, second = make("in_progress"), chg("implemented"), chg("implemented")
    ChangeIncidentLink.objects.create(
        change=first, incident=incident, relation="caused_by", linked_by=cast.im
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeIncidentLink.objects.create(
            change=second, incident=incident, relation="caused_by", linked_by=cast.im
        )


def test_resolvers_link_changes_to_their_teams_incidents_only(cast, chg, make):
    incident, change = make("in_progress", team="L2"), chg("approved")
    change_link_incident(incident=incident.reference, change=change.reference, actor=cast.l2)
    other = make("in_progress", team="L1")
    refused(
        lambda: change_link_incident(incident=other.reference, change=change.reference, actor=cast.l2),
        E.PERMISSION_DENIED,
        f"You may link changes to {other.reference} only while it is assigned to your team; it is assigned "
        "to L1.",
        other,
        change,
    )


@pytest.mark.parametrize(
    ("who", "kwargs", "code", "message"),
    [
        ("auditor", {}, E.PERMISSION_DENIED, "Your role may not link changes to {inc}."),
        ("admin", {}, E.PERMISSION_DENIED, "Your role may not link changes to {inc}."),
        ("reporter", {}, E.PERMISSION_DENIED, "Your role may not link changes to {inc}."),
        ("other_user", {}, E.NOT_FOUND, "Incident {inc} was not found."),
        ("analyst", {"relation": "related"}, E.VALIDATION_ERROR,
         "relation must be one of fixes, caused_by; got 'related'."),
        ("analyst", {"change": "CHG-999999"}, E.VALIDATION_ERROR, "No change CHG-999999."),
        ("analyst", {"expected_version": 99}, E.CONFLICT,
         "{inc} changed since you loaded it (version 99, now {version}). Reload it and try again."),
    ],
)  # fmt: skip
def test_link_refusals_change_nothing(cast, chg, make, who, kwargs, code, message):
    incident, change = make("in_progress"), chg("approved")
    body = {"incident": incident.reference, "change": change.reference, **kwargs}
    refused(
        lambda: change_link_incident(actor=getattr(cast, who), **body),
        code,
        message.format(inc=incident.reference, version=incident.version),
        incident,
        change,
    )


def test_an_incident_the_actor_may_not_see_is_not_found(cast, chg, make):
    secret, change = make("in_progress", category="security", team="L3"), chg("approved")
    refused(
        lambda: change_link_incident(incident=secret.reference, change=change.reference, actor=cast.analyst),
        E.NOT_FOUND,
        f"Incident {secret.reference} was not found.",
        secret,
        change,
    )
