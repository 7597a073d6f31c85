"""The shared operation path (operations.path), seen through the incident: states come from
the model's transitions, a refusal inside the body changes nothing, the version and state
checks name the row, and the system acts on a row only as its caller locked it."""

import pytest
from django.db import transaction

from core.errors import DomainError, ErrorCode
from incidents.choices import Status
from incidents.models import Incident
from incidents.services import STATE_RULES
from incidents.services.sop.base import INCIDENTS
from operations.path import join_states, state_rules, transition_sources

MOVES = {
    "assign": Incident.assign, "escalate": Incident.escalate, "engage_vendor": Incident.engage_vendor,
    "vendor_responded": Incident.vendor_responded, "resolve": Incident.resolve, "close": Incident.close,
    "confirm": Incident.close, "reopen": Incident.reopen,
}  # fmt: skip


def test_the_states_of_a_move_are_its_transitions_source():
    assert transition_sources(Incident.assign) == (Status.OPEN, Status.IN_PROGRESS, Status.ESCALATED)
    for operation, method in MOVES.items():
        assert STATE_RULES[operation][0] == tuple(method._django_fsm.transitions), operation


def test_state_rules_keep_the_order_given_and_take_lists_as_they_are():
    rules = state_rules({"b": (["x", "y"], "bee'd"), "a": (Incident.close, "closed")})
    assert list(rules) == ["b", "a"]
    assert rules["b"] == (("x", "y"), "bee'd")
    assert rules["a"] == ((Status.RESOLVED,), "closed")
    assert join_states(["x"]) == "x" and join_states(["x", "y", "z"]) == "x, y or z"


def test_a_refusal_in_the_body_changes_nothing_not_even_the_trail(make, people):
    from audit.models import AuditEvent

    incident = make("open")
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError) as excinfo:
        with INCIDENTS.operation(incident.reference, people.im, "edit", incident.version) as inc:
            inc.title = "changed in the body"
            INCIDENTS.save(inc, action="update", actor=people.im, changes={"title": ["x", "y"]})
            raise DomainError(ErrorCode.VALIDATION_ERROR, "refused after the save")
    assert excinfo.value.code == ErrorCode.VALIDATION_ERROR
    after = Incident.objects.get(pk=incident.pk)
    assert (after.title, after.version) == (incident.title, incident.version)
    assert AuditEvent.objects.count() == events


def test_version_state_and_visibility_checks_name_the_row(make, people):
    incident = make("open")
    with pytest.raises(DomainError) as excinfo:
        with INCIDENTS.operation(incident.reference, people.im, "edit", incident.version + 5):
            pass
    assert excinfo.value.code == ErrorCode.CONFLICT and excinfo.value.fields == {"version": incident.version}
    with pytest.raises(DomainError) as excinfo:
        with INCIDENTS.operation(incident.reference, people.im, "close"):
            pass
    assert excinfo.value.code == ErrorCode.INVALID_TRANSITION
    assert excinfo.value.message == (
        f"{incident.reference} is open; only an incident that is resolved can be closed."
    )
    with pytest.raises(DomainError) as excinfo:  # another end user's incident is not found
        with INCIDENTS.operation(incident.reference, people.other_user, "comment"):
            pass
    assert excinfo.value.code == ErrorCode.NOT_FOUND
    assert excinfo.value.message == f"Incident {incident.reference} was not found."


def test_the_system_acts_on_a_row_only_as_locked_by_its_caller(make):
    incident = make("open")
    with pytest.raises(ValueError):  # (the test runs inside a transaction: an unsaved row)
        with INCIDENTS.operation_or_system(Incident(reference="INC-X"), None, "edit"):
            pass
    with transaction.atomic():
        locked = INCIDENTS.lock(Incident.objects.all(), incident.reference)
        with INCIDENTS.operation_or_system(locked, None, "edit") as inc:
            assert inc is locked
