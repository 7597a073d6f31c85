"""Every role against every problem operation (problems.policy's table): the service
succeeds or refuses with the code below, and ``allowed_actions`` offers exactly what
succeeds. End users see no problem (404); the other roles that may not act get 403."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.errors import DomainError
from problems import services
from problems.selectors import problems_visible_to
from tests.incidents.factories import incident_in
from tests.problems.factories import distinct_title, problem_in

OPERATIONS = ("view", "create", "update", "start_investigation", "record_workaround", "link_incident",
              "resolve",
              "close")  # fmt: skip
# role:                   view  create update start record link  resolve close
MATRIX = {
    "end_user":             ("404", "403", "404", "404", "404", "404", "404", "404"),
    "service_desk":         ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "403", "403"),
    "service_desk_manager": ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "403", "403"),
    "l1":                   ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "403", "403"),
    "l2":                   ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "403", "403"),
    "l3":                   ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "ok"),
    "devops":               ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "403", "403"),
    "facilities":           ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "403", "403"),
    "change_manager":       ("ok",  "403", "403", "403", "403", "403", "403", "403"),
    "incident_manager":     ("ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "ok",  "ok"),
    "auditor":              ("ok",  "403", "403", "403", "403", "403", "403", "403"),
    "admin":                ("ok",  "403", "403", "403", "403", "403", "403", "403"),
}  # fmt: skip
CODES = {"403": "permission_denied", "404": "not_found"}
STATE_FOR = {
    "view": "new", "create": None, "update": "new", "start_investigation": "new",
    "record_workaround": "under_investigation", "link_incident": "new", "resolve": "known_error",
    "close": "resolved",
}  # fmt: skip
CASES = [(role, op, MATRIX[role][i]) for role in MATRIX for i, op in enumerate(OPERATIONS)]


def _run(operation, user, prb, svc):
    if operation == "view":
        if not problems_visible_to(user).filter(pk=prb.pk).exists():
            raise DomainError("not_found", "hidden")
        return
    if operation == "create":
        services.problem_create(actor=user, title=distinct_title(), affected_service=svc.reference)
        return
    ref = prb.reference
    if operation == "update":
        services.problem_update(problem=ref, actor=user, description="More detail.")
    elif operation == "start_investigation":
        services.problem_start_investigation(problem=ref, actor=user)
    elif operation == "record_workaround":
        services.problem_record_workaround(
            problem=ref, actor=user, symptom="S", root_cause="R", workaround="W"
        )
    elif operation == "link_incident":
        incident = incident_in("open", reporter=user)  # an incident the user may see, whoever they are
        services.problem_link_incident(problem=ref, incident=incident.reference, actor=user)
    elif operation == "resolve":
        services.problem_resolve(problem=ref, actor=user, fix_summary="F", validation_evidence="E")
    elif operation == "close":
        with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
            services.problem_close(problem=ref, actor=user, closure_notes="Done.")


@pytest.mark.parametrize(("role", "operation", "expected"), CASES)
def test_role_against_operation(make_user, people, svc, role, operation, expected):
    user = make_user(role)
    state = STATE_FOR[operation]
    prb = problem_in(state, actor=people.im, service=svc) if state else None
    if prb is not None and operation != "view":
        offered = operation in services.PROBLEMS.allowed_actions(user, prb)
        assert offered == (expected == "ok"), (role, operation, "allowed_actions")
    if expected == "ok":
        _run(operation, user, prb, svc)
        return
    with pytest.raises(DomainError) as excinfo:
        _run(operation, user, prb, svc)
    assert excinfo.value.code == CODES[expected], (role, operation, excinfo.value.message)


def test_the_matrix_covers_every_role_and_operation():
    from core.roles import Role

    assert set(MATRIX) == {r.value for r in Role}
    assert set(OPERATIONS) - {"view"} == set(services.STATE_RULES) | {"create"}
