"""problem_link_incident (SOP 19, link): one link, seen from both records, with one pair of
``link`` events in one append; linking twice is a 409 ``duplicate`` that writes nothing."""

import pytest

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from incidents.models import Incident
from problems.models import Problem, ProblemIncident
from problems.services import problem_link_incident


def test_the_link_is_seen_from_both_sides_with_one_pair_of_events(people, problem, make):
    prb, incident = problem("under_investigation"), make("in_progress")
    head = AuditEvent.objects.order_by("-seq").first().seq
    done = problem_link_incident(problem=prb.reference, incident=incident.reference.lower(), actor=people.l1)
    assert list(done.incidents.all()) == [incident]
    assert list(Incident.objects.get(pk=incident.pk).problems.all()) == [prb]
    [link] = ProblemIncident.objects.all()
    assert (link.problem, link.incident, link.linked_by) == (prb, incident, people.l1)
    on_incident, on_problem = AuditEvent.objects.filter(seq__gt=head).order_by("seq")
    assert (on_incident.ref_id, on_incident.domain_action, on_incident.changes) == (
        incident.reference, "link", {"problem": [None, prb.reference]}
    )  # fmt: skip
    assert (on_problem.ref_id, on_problem.domain_action, on_problem.changes) == (
        prb.reference, "link", {"incident": [None, incident.reference]}
    )  # fmt: skip
    assert on_incident.actor_label == on_problem.actor_label == people.l1.username
    assert done.version == prb.version + 1
    assert Incident.objects.get(pk=incident.pk).version == incident.version + 1


@pytest.mark.parametrize("status", ["new", "known_error", "resolved"])
def test_a_problem_is_linked_until_it_closes(people, problem, make, status):
    prb = problem(status)
    assert problem_link_incident(problem=prb.reference, incident=make("closed").reference, actor=people.im)


def test_linking_twice_is_a_duplicate_that_writes_nothing(people, problem, make):
    incident = make("open")
    prb = problem("new", incidents=[incident.reference])
    events, version = AuditEvent.objects.count(), Incident.objects.get(pk=incident.pk).version
    with pytest.raises(DomainError) as excinfo:
        problem_link_incident(problem=prb.reference, incident=incident.reference, actor=people.analyst)
    error = excinfo.value
    assert (error.code, error.fields) == (ErrorCode.DUPLICATE, {"existing": [prb.reference]})
    assert error.message == f"{incident.reference} is already linked to {prb.reference}; nothing to do."
    assert AuditEvent.objects.count() == events and ProblemIncident.objects.count() == 1
    assert Incident.objects.get(pk=incident.pk).version == version
    assert Problem.objects.get(pk=prb.pk).version == prb.version


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        ("closed", ErrorCode.INVALID_TRANSITION,
         "{prb} is closed; only a problem that is new, under_investigation, known_error or resolved can be "
         "linked to an incident."),
        ("unknown_incident", ErrorCode.NOT_FOUND, "Incident INC-999999 was not found."),
        ("secret", ErrorCode.NOT_FOUND, "Incident {inc} was not found."),
        ("no_incident", ErrorCode.VALIDATION_ERROR, "Name the incident to link."),
        ("end_user", ErrorCode.NOT_FOUND, "Problem {prb} was not found."),
        ("auditor", ErrorCode.PERMISSION_DENIED, "Your role may not link incidents to {prb}."),
        ("problem_version", ErrorCode.CONFLICT,
         "{prb} changed since you loaded it (version 7, now 1). Reload it and try again."),
        ("incident_version", ErrorCode.CONFLICT,
         "{inc} changed since you loaded it (version 99, now {inc_version}). Reload it and try again."),
    ],
)  # fmt: skip
def test_refusals_change_nothing(people, problem, make, case, code, message):
    prb = problem("closed" if case == "closed" else "new")
    incident = make("open", category="security" if case == "secret" else "software", reporter=people.reporter)
    kwargs = {"problem": prb.reference, "incident": incident.reference, "actor": people.analyst}
    if case == "unknown_incident":
        kwargs["incident"] = "INC-999999"
    elif case == "no_incident":
        kwargs["incident"] = " "
    elif case == "end_user":
        kwargs["actor"] = people.reporter  # who reported the incident, yet sees no problem
    elif case == "auditor":
        kwargs["actor"] = people.auditor
    elif case == "problem_version":
        kwargs["expected_version"] = 7
    elif case == "incident_version":
        kwargs["incident_version"] = 99
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError) as excinfo:
        problem_link_incident(**kwargs)
    expected = message.format(prb=prb.reference, inc=incident.reference, inc_version=incident.version)
    assert (excinfo.value.code, excinfo.value.message) == (code, expected)
    assert AuditEvent.objects.count() == events and not ProblemIncident.objects.exists()
    assert Incident.objects.get(pk=incident.pk).version == incident.version
