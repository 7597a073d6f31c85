"""problem_create (SOP 19, create): a new problem, its incidents linked, and the refusals —
above all the duplicate of an active problem, which names it in ``fields.existing``."""

import pytest

from audit.models import AuditEvent
from catalog.models import Service
from core.errors import DomainError, ErrorCode
from incidents.models import Incident
from problems.models import Problem, ProblemIncident
from problems.services import problem_create, problem_update, titles_similar


def events(ref):
    return list(AuditEvent.objects.filter(ref_id=ref).order_by("seq"))


def test_an_analyst_raises_a_new_problem(people, svc):
    problem = problem_create(
        actor=people.analyst, title="Mail stuck in outbox", description="Several users.",
        affected_service=svc.reference, symptom="Outbox grows.",
    )  # fmt: skip
    assert problem.reference.startswith("PRB-") and problem.status == "new" and problem.version == 1
    assert (problem.created_by, problem.affected_service, problem.symptom) == (
        people.analyst,
        svc,
        "Outbox grows.",
    )
    [event] = events(problem.reference)
    assert (event.domain_action, event.ref_type, event.actor_label) == (
        "create",
        "problem",
        people.analyst.username,
    )
    assert event.changes == {
        "status": [None, "new"], "title": [None, "Mail stuck in outbox"],
        "affected_service": [None, svc.reference],
    }  # fmt: skip


def test_the_incidents_named_are_linked_with_a_link_event_on_each(people, svc, make):
    first, second = make("open"), make("resolved")
    problem = problem_create(
        actor=people.l2, title="Relay queue stalls", affected_service=svc.reference,
        incidents=[first.reference, second.reference.lower(), first.reference], owner_team="L2",
        assignee=people.l2b.username,
    )  # fmt: skip
    assert list(problem.incidents.order_by("id")) == [first, second]
    assert set(first.problems.all()) == {problem}
    assert all(link.linked_by == people.l2 for link in ProblemIncident.objects.all())
    assert (problem.owner_team.code, problem.assignee) == ("L2", people.l2b)
    [create] = events(problem.reference)
    assert create.changes["incidents"] == [None, f"{first.reference}, {second.reference}"]
    assert create.changes["owner_team"] == [None, "L2"] and create.changes["assignee"] == [
        None,
        people.l2b.username,
    ]
    for incident in (first, second):
        link = AuditEvent.objects.filter(ref_id=incident.reference).order_by("-seq").first()
        assert (link.domain_action, link.changes) == ("link", {"problem": [None, problem.reference]})
        assert link.seq > create.seq
        assert Incident.objects.get(pk=incident.pk).version == incident.version + 1


@pytest.mark.parametrize(
    "title", ["Mail stuck in outbox", "mail  STUCK in outbox ", "Mail stuck in the outbox", "stuck in outbox"]
)
def test_a_similar_title_on_the_same_service_is_a_duplicate_naming_the_active_problem(people, svc, title):
    existing = problem_create(
        actor=people.analyst, title="Mail stuck in outbox", affected_service=svc.reference
    )
    before = AuditEvent.objects.count()
    with pytest.raises(DomainError) as excinfo:
        problem_create(actor=people.l1, title=title, affected_service=svc.reference)
    error = excinfo.value
    assert error.code == ErrorCode.DUPLICATE
    assert error.message == (
        f"An active problem on {svc.reference} already covers this: {existing.reference} "
        f"“Mail stuck in outbox” (new). Link the incidents to {existing.reference} instead, or give a title "
        "that tells the problems apart."
    )
    assert error.fields == {"existing": [existing.reference]}
    assert Problem.objects.count() == 1 and AuditEvent.objects.count() == before


def test_every_similar_active_problem_is_named_newest_first(people, svc):
    older = problem_create(actor=people.analyst, title="VPN drops every hour", affected_service=svc.reference)
    # raised on another service, then moved here (an update does not look for duplicates)
    newer = problem_create(
        actor=people.analyst,
        title="VPN drops each hour",
        affected_service=Service.objects.create(name="VPN").reference,
    )
    problem_update(problem=newer.reference, actor=people.analyst, affected_service=svc.reference)
    with pytest.raises(DomainError) as excinfo:
        problem_create(actor=people.analyst, title="VPN drops every hour!", affected_service=svc.reference)
    assert excinfo.value.fields == {"existing": [newer.reference, older.reference]}


def test_a_duplicate_refusal_links_nothing_and_touches_no_incident(people, svc, make):
    incident = make("open")
    problem_create(actor=people.analyst, title="Printer jams on tray 2", affected_service=svc.reference)
    with pytest.raises(DomainError):
        problem_create(actor=people.analyst, title="Printer jams on tray 2", affected_service=svc.reference,
                       incidents=[incident.reference])  # fmt: skip
    assert not ProblemIncident.objects.exists()
    assert Incident.objects.get(pk=incident.pk).version == incident.version


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_a_problem_no_longer_active_is_no_duplicate(people, problem, svc, status):
    done = problem(status, title="Badge readers reject cards")
    fresh = problem_create(
        actor=people.analyst, title="Badge readers reject cards", affected_service=svc.reference
    )
    assert fresh.reference != done.reference


def test_the_same_title_on_another_service_is_no_duplicate(people, svc):
    other = Service.objects.create(name="Printing")
    problem_create(actor=people.analyst, title="Queue stalls", affected_service=svc.reference)
    assert problem_create(actor=people.analyst, title="Queue stalls", affected_service=other.reference)


def test_titles_similar():
    assert titles_similar("Mail stuck in outbox", "mail stuck in outbox")
    assert titles_similar("Outlook crashes on start", "Outlook crashes at start")
    assert titles_similar("stuck in outbox", "Mail stuck in outbox since Monday")  # contained
    assert not titles_similar("Email", "Email archive is slow")  # too short to count as contained
    assert not titles_similar("Printer jams", "VPN drops every hour")


@pytest.mark.parametrize(
    ("who", "kwargs", "code", "message"),
    [
        ("reporter", {}, ErrorCode.PERMISSION_DENIED, "Your role may not raise problems."),
        ("auditor", {}, ErrorCode.PERMISSION_DENIED, "Your role may not raise problems."),
        ("admin", {}, ErrorCode.PERMISSION_DENIED, "Your role may not raise problems."),
        ("nobody", {}, ErrorCode.PERMISSION_DENIED, "Your role may not raise problems."),
        ("analyst", {"title": "  "}, ErrorCode.VALIDATION_ERROR, "A problem needs a title."),
        ("analyst", {"title": "x" * 201}, ErrorCode.VALIDATION_ERROR,
         "title is 201 characters long; the limit is 200."),
        ("analyst", {"affected_service": ""}, ErrorCode.VALIDATION_ERROR,
         "A problem needs the affected_service it lies in."),
        ("analyst", {"affected_service": "SVC-999999"}, ErrorCode.VALIDATION_ERROR,
         "No active service SVC-999999."),
        ("analyst", {"incidents": ["INC-999999"]}, ErrorCode.VALIDATION_ERROR, "No incident INC-999999."),
        ("analyst", {"owner_team": "nope"}, ErrorCode.VALIDATION_ERROR, "No team nope."),
        ("analyst", {"assignee": "ghost"}, ErrorCode.VALIDATION_ERROR, "No active user ghost."),
    ],
)  # fmt: skip
def test_refusals_change_nothing(people, svc, who, kwargs, code, message):
    body = {"title": "Disk fills overnight", "affected_service": svc.reference, **kwargs}
    with pytest.raises(DomainError) as excinfo:
        problem_create(actor=getattr(people, who), **body)
    assert (excinfo.value.code, excinfo.value.message) == (code, message)
    assert not Problem.objects.exists() and not AuditEvent.objects.filter(ref_type="problem").exists()


def test_an_inactive_service_and_an_assignee_who_does_not_work_problems_are_refused(people, svc):
    with pytest.raises(DomainError) as excinfo:
        problem_create(
            actor=people.analyst, title="T", affected_service=svc.reference, assignee=people.auditor.username
        )
    assert excinfo.value.message == (
        f"{people.auditor.username} does not work problems: assign a service desk, resolver or incident "
        "manager."
    )
    svc.is_active = False
    svc.save()
    with pytest.raises(DomainError) as excinfo:
        problem_create(actor=people.analyst, title="T", affected_service=svc.reference)
    assert excinfo.value.fields == {"affected_service": [f"No active service {svc.reference}."]}
    assert not Problem.objects.exists()


def test_a_security_incident_the_desk_may_not_see_is_not_linked(people, svc, make):
    secret = make("open", category="security")
    with pytest.raises(DomainError) as excinfo:
        problem_create(
            actor=people.analyst, title="T", affected_service=svc.reference, incidents=[secret.reference]
        )
    assert (excinfo.value.code, excinfo.value.fields) == (
        ErrorCode.VALIDATION_ERROR, {"incidents": [f"No incident {secret.reference}."]}
    )  # fmt: skip
    assert not Problem.objects.exists()
    # L3 sees security incidents, and may link it
    assert problem_create(
        actor=people.l3, title="T", affected_service=svc.reference, incidents=[secret.reference]
    )
