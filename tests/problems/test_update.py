"""problem_update (SOP 19, update): the allowed fields, each change in the delta of one
``update`` event; and its refusals, which change nothing."""

import pytest

from audit.models import AuditEvent
from catalog.models import Service
from core.errors import DomainError, ErrorCode
from problems.models import Problem
from problems.services import problem_update


def last_event(problem):
    return AuditEvent.objects.filter(ref_id=problem.reference).order_by("-seq").first()


def test_each_field_that_changed_is_in_the_delta(people, problem):
    prb = problem("under_investigation")
    other = Service.objects.create(name="Relay")
    done = problem_update(
        problem=prb.reference, actor=people.l2, expected_version=prb.version, title="Relay queue stalls",
        description=prb.description, affected_service=other.reference, root_cause="Disk full on relay.",
        owner_team="L2", assignee=people.l2b.username,
    )  # fmt: skip
    assert (done.title, done.affected_service, done.root_cause) == (
        "Relay queue stalls",
        other,
        "Disk full on relay.",
    )
    assert (done.owner_team.code, done.assignee, done.version) == ("L2", people.l2b, prb.version + 1)
    event = last_event(prb)
    assert (event.domain_action, event.actor_label) == ("update", people.l2.username)
    assert event.changes == {
        "title": [prb.title, "Relay queue stalls"],
        "affected_service": [prb.affected_service.reference, other.reference],
        "root_cause": ["", "Disk full on relay."], "owner_team": [None, "L2"],
        "assignee": [None, people.l2b.username],
    }  # fmt: skip


def test_an_empty_owner_team_or_assignee_clears_it(people, problem):
    prb = problem("new", owner_team="L1", assignee=people.l1.username)
    done = problem_update(problem=prb.reference, actor=people.analyst, owner_team="", assignee="")
    assert (done.owner_team, done.assignee) == (None, None)
    assert last_event(prb).changes == {"owner_team": ["L1", None], "assignee": [people.l1.username, None]}


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({}, ErrorCode.VALIDATION_ERROR, "Nothing to change on {ref}."),
        ({"title": "{title}"}, ErrorCode.VALIDATION_ERROR, "Nothing to change on {ref}."),
        ({"title": " "}, ErrorCode.VALIDATION_ERROR, "{ref} needs a title."),
        ({"affected_service": "SVC-999999"}, ErrorCode.VALIDATION_ERROR, "No active service SVC-999999."),
        ({"owner_team": "nope"}, ErrorCode.VALIDATION_ERROR, "No team nope."),
        ({"symptom": "x" * 10_001}, ErrorCode.VALIDATION_ERROR,
         "symptom is 10001 characters long; the limit is 10000."),
        ({"expected_version": 99}, ErrorCode.CONFLICT,
         "{ref} changed since you loaded it (version 99, now 1). Reload it and try again."),
    ],
)  # fmt: skip
def test_refusals_change_nothing(people, problem, kwargs, code, message):
    prb = problem("new")
    events = AuditEvent.objects.count()
    kwargs = {k: v.format(title=prb.title) if isinstance(v, str) else v for k, v in kwargs.items()}
    with pytest.raises(DomainError) as excinfo:
        problem_update(problem=prb.reference, actor=people.analyst, **kwargs)
    assert (excinfo.value.code, excinfo.value.message) == (code, message.format(ref=prb.reference))
    after = Problem.objects.get(pk=prb.pk)
    assert (after.title, after.version, after.symptom) == (prb.title, prb.version, prb.symptom)
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_a_resolved_or_closed_problem_is_not_updated(people, problem, status):
    prb = problem(status)
    with pytest.raises(DomainError) as excinfo:
        problem_update(problem=prb.reference, actor=people.im, title="Another")
    assert excinfo.value.code == ErrorCode.INVALID_TRANSITION
    assert excinfo.value.message == (
        f"{prb.reference} is {status}; only a problem that is new, under_investigation or known_error can be "
        "updated."
    )


def test_an_unknown_problem_and_one_an_end_user_may_not_see_are_not_found(people, problem):
    prb = problem("new")
    for who, ref in ((people.analyst, "PRB-999999"), (people.reporter, prb.reference)):
        with pytest.raises(DomainError) as excinfo:
            problem_update(problem=ref, actor=who, title="X")
        assert (excinfo.value.code, excinfo.value.message) == (
            ErrorCode.NOT_FOUND,
            f"Problem {ref} was not found.",
        )
