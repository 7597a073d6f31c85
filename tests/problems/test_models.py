"""The problem's state machine: a protected status moved only by its transitions, whose
``source`` is what the services allow; and the fields each move sets."""

from datetime import UTC, datetime

import pytest
from django_fsm import TransitionNotAllowed

from problems.models import Problem, ProblemPolicy
from problems.services import STATE_RULES

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_the_status_is_protected():
    problem = Problem()
    with pytest.raises(AttributeError):
        problem.status = "closed"


def test_the_services_states_are_the_transitions_sources():
    moves = {
        "start_investigation": Problem.start_investigation, "record_workaround": Problem.record_workaround,
        "resolve": Problem.resolve, "close": Problem.close,
    }  # fmt: skip
    for operation, method in moves.items():
        assert STATE_RULES[operation][0] == tuple(method._django_fsm.transitions), operation
    assert STATE_RULES["resolve"][0] == ("under_investigation", "known_error")  # a fix without a workaround
    assert STATE_RULES["start_investigation"][0] == ("new", "resolved")  # the fix did not hold


def test_each_move_sets_its_fields():
    problem = Problem()
    problem.start_investigation(at=AT)
    problem.record_workaround(symptom="S", root_cause="R", workaround="W", at=AT)
    assert (problem.status, problem.is_known_error, problem.investigation_started_at) == (
        "known_error",
        True,
        AT,
    )
    problem.resolve(fix_summary="F", validation_evidence="E", at=AT)
    assert problem.stability_window_ends_at(7) == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)
    problem.start_investigation(at=datetime(2026, 3, 3, tzinfo=UTC))  # reopened: the first start stays
    assert (problem.investigation_started_at, problem.resolved_at, problem.fix_summary) == (AT, None, "")
    assert problem.stability_window_ends_at(7) is None
    with pytest.raises(TransitionNotAllowed):
        problem.close(notes="N", at=AT)


def test_the_policy_defaults_to_a_seven_day_window(db):
    assert ProblemPolicy.current().stability_window_days == 7
    assert str(ProblemPolicy.current()) == "Problem policy"
