"""SOP 18: every simulation operation — success, and every refusal (code, message, nothing
written)."""

import pytest

from audit.models import AuditEvent
from core.errors import DomainError, ErrorCode
from incidents.models import Incident
from simulations import services
from simulations.models import FollowUp, Inject, Simulation

pytestmark = pytest.mark.django_db
AT = "2026-12-01T10:00:00Z"


def trail(ref: str) -> list[tuple[str, str]]:
    rows = AuditEvent.objects.filter(ref_id=ref).order_by("seq")
    return [(e.domain_action, (e.additional_data or {}).get("operation")) for e in rows]


def refused(code, message, service, **kw):
    before = (
        Simulation.objects.count(),
        Inject.objects.count(),
        FollowUp.objects.count(),
        AuditEvent.objects.count(),
        list(Simulation.objects.values_list("version", "status")),
    )
    with pytest.raises(DomainError) as caught:
        service(**kw)
    assert (caught.value.code, caught.value.message) == (code, message)
    after = (
        Simulation.objects.count(),
        Inject.objects.count(),
        FollowUp.objects.count(),
        AuditEvent.objects.count(),
        list(Simulation.objects.values_list("version", "status")),
    )
    assert after == before
    return caught.value


def test_the_whole_exercise(people, sim):
    simulation = sim(participants=[people.l2.username, people.l3.username, people.l2.username])
    assert simulation.reference.startswith("SIM-")
    assert (simulation.status, simulation.simulated_by, simulation.version) == ("planned", people.im, 1)
    assert sorted(simulation.participants.values_list("username", flat=True)) == sorted(
        [people.l2.username, people.l3.username]
    )
    ref = simulation.reference
    services.simulation_add_inject(simulation=ref, actor=people.im, at=AT, description="Mains fail in DC1.")
    services.simulation_start(simulation=ref, actor=people.im, expected_version=2)
    services.simulation_add_inject(
        simulation=ref, actor=people.im, at="2026-12-01T10:15:00Z", description="Generator does not start."
    )
    services.simulation_add_follow_up(
        simulation=ref, actor=people.im, description="Test the generator monthly.", owner=people.l3.username
    )
    done = services.simulation_complete(simulation=ref, actor=people.im, outcomes="Failover took 40 minutes.")
    assert (done.status, done.outcomes, done.version) == ("completed", "Failover took 40 minutes.", 6)
    assert done.started_at and done.completed_at
    services.simulation_add_follow_up(
        simulation=ref, actor=people.im, description="Update the runbook.", owner=people.l2.username
    )
    assert list(done.injects.values_list("description", flat=True)) == [
        "Mains fail in DC1.",
        "Generator does not start.",
    ]
    assert list(done.follow_ups.values_list("owner__username", flat=True)) == [
        people.l3.username,
        people.l2.username,
    ]
    assert trail(ref) == [
        ("simulation", op)
        for op in (
            "create",
            "add_inject",
            "start",
            "add_inject",
            "add_follow_up",
            "complete",
            "add_follow_up",
        )
    ]


@pytest.mark.parametrize("who", ["analyst", "sdm", "l2", "l3", "auditor", "admin", "reporter"])
def test_only_incident_managers_run_simulations(people, sim, who):
    actor = getattr(people, who)
    refused(
        ErrorCode.PERMISSION_DENIED,
        "Your role may not create simulations. Only incident managers run simulations.",
        services.simulation_create,
        actor=actor,
        scenario="x",
        scope="y",
    )


def test_operations_are_refused_to_others_and_invisible_to_non_viewers(people, sim):
    simulation = sim()
    refused(
        ErrorCode.PERMISSION_DENIED,
        f"Your role may not start {simulation.reference}. Only incident managers run simulations.",
        services.simulation_start,
        simulation=simulation.reference,
        actor=people.auditor,
    )
    refused(
        ErrorCode.NOT_FOUND,
        f"Simulation {simulation.reference} was not found.",
        services.simulation_start,
        simulation=simulation.reference,
        actor=people.l2,
    )


@pytest.mark.parametrize(
    "status, operation, kw, message",
    [
        ("running", "start", {}, "is running; only a simulation that is planned can be started."),
        (
            "planned",
            "complete",
            {"outcomes": "x"},
            "is planned; only a simulation that is running can be completed.",
        ),
        (
            "completed",
            "add_inject",
            {"at": AT, "description": "x"},
            "is completed; only a simulation that is planned or running can be given new injects.",
        ),
        (
            "planned",
            "add_follow_up",
            {"description": "x", "owner": "nobody"},
            "is planned; only a simulation that is running or completed can be given follow-up actions.",
        ),
    ],
)
def test_state_rules(people, sim, status, operation, kw, message):
    simulation = sim(status)
    refused(
        ErrorCode.INVALID_TRANSITION,
        f"{simulation.reference} {message}",
        getattr(services, f"simulation_{operation}"),
        simulation=simulation.reference,
        actor=people.im,
        **kw,
    )


def test_a_stale_version_is_a_conflict(people, sim):
    simulation = sim()
    refused(
        ErrorCode.CONFLICT,
        f"{simulation.reference} changed since you loaded it (version 7, now 1). Reload it and try again.",
        services.simulation_start,
        simulation=simulation.reference,
        actor=people.im,
        expected_version=7,
    )


@pytest.mark.parametrize(
    "kw, message, field",
    [
        ({"scenario": " "}, "Name the scenario the simulation exercises.", "scenario"),
        ({"scope": ""}, "Say what the simulation covers (scope).", "scope"),
        ({"scenario": "x" * 201}, "scenario is 201 characters long; the limit is 200.", "scenario"),
        ({"participants": ["ghost"]}, "No active user ghost.", "participants"),
    ],
)
def test_create_input(people, kw, message, field):
    body = {"scenario": "Ransomware", "scope": "File servers", **kw}
    error = refused(ErrorCode.VALIDATION_ERROR, message, services.simulation_create, actor=people.im, **body)
    assert field in error.fields


def test_participants_and_owners_are_staff(people, sim):
    refused(
        ErrorCode.VALIDATION_ERROR,
        f"{people.reporter.username} is not IT staff; simulations involve members of staff.",
        services.simulation_create,
        actor=people.im,
        scenario="x",
        scope="y",
        participants=[people.reporter.username],
    )
    simulation = sim("running")
    refused(
        ErrorCode.VALIDATION_ERROR,
        f"{people.reporter.username} is not IT staff; simulations involve members of staff.",
        services.simulation_add_follow_up,
        simulation=simulation.reference,
        actor=people.im,
        description="x",
        owner=people.reporter.username,
    )
    refused(
        ErrorCode.VALIDATION_ERROR,
        "Name the follow-up action's owner.",
        services.simulation_add_follow_up,
        simulation=simulation.reference,
        actor=people.im,
        description="x",
        owner=" ",
    )
    refused(
        ErrorCode.VALIDATION_ERROR,
        "Say what the follow-up action is (description).",
        services.simulation_add_follow_up,
        simulation=simulation.reference,
        actor=people.im,
        description=" ",
        owner=people.l2.username,
    )


def test_inject_and_complete_input(people, sim):
    simulation = sim("running")
    ref = simulation.reference
    refused(
        ErrorCode.VALIDATION_ERROR,
        "at must be a date and time (ISO 8601).",
        services.simulation_add_inject,
        simulation=ref,
        actor=people.im,
        at="soon",
        description="x",
    )
    refused(
        ErrorCode.VALIDATION_ERROR,
        "Say what the inject is (description).",
        services.simulation_add_inject,
        simulation=ref,
        actor=people.im,
        at=AT,
        description="",
    )
    refused(
        ErrorCode.VALIDATION_ERROR,
        f"Record the outcomes of {ref} to complete it.",
        services.simulation_complete,
        simulation=ref,
        actor=people.im,
        outcomes=" ",
    )


def test_a_drill_incident_is_opened_inside_a_running_simulation(people, sim, svc):
    simulation = sim("running")
    done = services.simulation_drill_incident(
        simulation=simulation.reference,
        actor=people.im,
        title="DC1 down (drill)",
        affected_service=svc.reference,
        impact="high",
        urgency="high",
        category="hardware",
    )
    drill = done.drills.get().incident
    assert (drill.is_drill, drill.title, drill.status) == (True, "DC1 down (drill)", "open")
    assert [e.domain_action for e in AuditEvent.objects.filter(ref_id=drill.reference).order_by("seq")] == [
        "identify",
        "simulation",
    ]
    assert trail(simulation.reference)[-1] == ("simulation", "drill_incident")
    assert Incident.objects.filter(is_drill=False).count() == 0


def test_a_drill_incident_is_refused_outside_a_running_simulation_and_by_incident_rules(people, sim, svc):
    planned = sim()
    refused(ErrorCode.INVALID_TRANSITION,
            f"{planned.reference} is planned; only a simulation that is running can be given drill "
            "incidents.",
            services.simulation_drill_incident, simulation=planned.reference, actor=people.im, title="x",
            affected_service=svc.reference, impact="high", urgency="high")  # fmt: skip
    running = sim("running")
    before = Incident.objects.count()
    refused(ErrorCode.VALIDATION_ERROR, "An incident needs a title.",
            services.simulation_drill_incident, simulation=running.reference, actor=people.im, title=" ",
            affected_service=svc.reference, impact="high", urgency="high")  # fmt: skip
    refused(ErrorCode.PERMISSION_DENIED,
            f"Your role may not drill incident {running.reference}. Only incident managers run simulations.",
            services.simulation_drill_incident, simulation=running.reference, actor=people.auditor, title="x",
            affected_service=svc.reference, impact="high", urgency="high")  # fmt: skip
    assert Incident.objects.count() == before
