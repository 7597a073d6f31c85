"""SOP 18: simulations on the shared operation path — the only writers of simulations.

Every operation is audited ``simulation`` (its ``extra.operation`` says which), in the same
transaction as its change; a refusal writes nothing."""

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.services import build_event
from core.errors import validation_error
from core.roles import STAFF_ROLES, user_roles
from incidents.services import incident_create
from operations import inputs
from operations.inputs import TextRules
from operations.path import Governed, state_rules
from simulations.choices import SimulationStatus
from simulations.models import DrillIncident, FollowUp, Inject, Simulation
from simulations.policy import authorize
from simulations.selectors import simulations_visible_to

S = SimulationStatus
ACTION = "simulation"
STATE_RULES = state_rules(
    {
        "start": (Simulation.start, "started"),
        "add_inject": ((S.PLANNED, S.RUNNING), "given new injects"),
        "complete": (Simulation.complete, "completed"),
        "add_follow_up": ((S.RUNNING, S.COMPLETED), "given follow-up actions"),
        "drill_incident": ((S.RUNNING,), "given drill incidents"),
    }
)
SIMULATIONS = Governed(
    model=Simulation,
    visible_to=simulations_visible_to,
    authorize=authorize,
    rules=STATE_RULES,
    noun="simulation",
    related=("simulated_by",),
)
TEXT = TextRules({"scenario": 200, "scope": 10_000, "outcomes": 20_000, "description": 2_000})
MAX_PARTICIPANTS = 200


def _staff(username: str, field: str):
    user = inputs.active_user(username, field)
    if not user_roles(user) & STAFF_ROLES:
        raise validation_error(
            f"{username} is not IT staff; simulations involve members of staff.",
            **{field: f"{username} is not IT staff."},
        )
    return user


def _participants(usernames) -> list:
    names = list(dict.fromkeys(u.strip() for u in (usernames or ()) if u and u.strip()))
    if len(names) > MAX_PARTICIPANTS:
        raise validation_error(
            f"{len(names)} participants named; at most {MAX_PARTICIPANTS}.",
            participants=f"At most {MAX_PARTICIPANTS}.",
        )
    return [_staff(name, "participants") for name in names]


def simulation_create(*, actor, scenario: str, scope: str, participants=(), outcome: str = "") -> Simulation:
    """Plan a simulation: its scenario and scope (required), the staff taking part, and the
    outcome it aims at (optional, refined when it completes)."""
    authorize(actor, "create")
    scenario = TEXT.required(scenario, "scenario", "Name the scenario the simulation exercises.")
    scope = TEXT.required(scope, "scope", "Say what the simulation covers (scope).")
    outcomes = TEXT.text(outcome, "outcomes")
    people = _participants(participants)
    simulation = Simulation(scenario=scenario, scope=scope, outcomes=outcomes, simulated_by=actor)
    with transaction.atomic():
        simulation.save()
        simulation.participants.set(people)
        return SIMULATIONS.create(
            simulation,
            actor=actor,
            action=ACTION,
            changes={"scenario": [None, scenario], "participants": [None, [p.username for p in people]]},
            extra={"operation": "create"},
        )


def simulation_start(*, simulation, actor, expected_version: int | None = None) -> Simulation:
    with SIMULATIONS.operation(simulation, actor, "start", expected_version) as sim:
        sim.start(at=timezone.now())
        return SIMULATIONS.save(sim, action=ACTION, actor=actor, changes={"status": [S.PLANNED, S.RUNNING]},
                                extra={"operation": "start"})  # fmt: skip


def _when(value, field: str):
    if hasattr(value, "tzinfo"):
        when = value
    else:
        when = parse_datetime(str(value or "").strip())
    if when is None:
        raise validation_error(
            f"{field} must be a date and time (ISO 8601).", **{field: "Not a date and time."}
        )
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when


def simulation_add_inject(*, simulation, actor, at, description: str, expected_version: int | None = None):
    """A row of the exercise's timeline: at (exercise time), what was injected."""
    with SIMULATIONS.operation(simulation, actor, "add_inject", expected_version) as sim:
        when = _when(at, "at")
        text = TEXT.required(description, "description", "Say what the inject is (description).")
        inject = Inject.objects.create(simulation=sim, at=when, description=text)
        return SIMULATIONS.save(sim, action=ACTION, actor=actor,
                                changes={"inject": [None, f"{inject.at.isoformat()} {text[:200]}"]},
                                extra={"operation": "add_inject"})  # fmt: skip


def simulation_complete(*, simulation, actor, outcomes: str, expected_version: int | None = None):
    """End the exercise with what it showed (outcomes, required)."""
    with SIMULATIONS.operation(simulation, actor, "complete", expected_version) as sim:
        text = TEXT.required(outcomes, "outcomes", f"Record the outcomes of {sim.reference} to complete it.")
        before = sim.outcomes
        sim.complete(outcomes=text, at=timezone.now())
        return SIMULATIONS.save(sim, action=ACTION, actor=actor,
                                changes={"status": [S.RUNNING, S.COMPLETED], "outcomes": [before, text]},
                                extra={"operation": "complete"})  # fmt: skip


def simulation_add_follow_up(*, simulation, actor, description: str, owner: str,
                             expected_version: int | None = None):  # fmt: skip
    """A follow-up action the exercise found, owned by a member of staff."""
    with SIMULATIONS.operation(simulation, actor, "add_follow_up", expected_version) as sim:
        text = TEXT.required(description, "description", "Say what the follow-up action is (description).")
        if not owner or not str(owner).strip():
            raise validation_error("Name the follow-up action's owner.", owner="This field is required.")
        person = _staff(str(owner).strip(), "owner")
        FollowUp.objects.create(simulation=sim, description=text, owner=person)
        return SIMULATIONS.save(sim, action=ACTION, actor=actor,
                                changes={"follow_up": [None, f"{person.username}: {text[:200]}"]},
                                extra={"operation": "add_follow_up"})  # fmt: skip


def simulation_drill_incident(
    *,
    simulation,
    actor,
    title: str,
    affected_service: str,
    impact: str,
    urgency: str,
    category: str = "other",
    description: str = "",
    expected_version: int | None = None,
) -> Simulation:
    """Open an incident inside a running simulation: the incident service creates it (every
    rule of SOP 2), flagged ``is_drill`` and linked to the simulation; audited ``simulation``
    on both, in the same transaction."""
    with SIMULATIONS.operation(simulation, actor, "drill_incident", expected_version) as sim:
        incident, _ = incident_create(
            actor=actor,
            title=title,
            description=description,
            category=category,
            impact=impact,
            urgency=urgency,
            affected_service=affected_service,
        )
        incident.is_drill = True
        incident.version += 1
        incident.save(update_fields=["is_drill", "version", "updated_at"])
        DrillIncident.objects.create(simulation=sim, incident=incident)
        event = build_event(
            action=ACTION,
            obj=incident,
            actor=actor,
            changes={"is_drill": [False, True], "simulation": [None, sim.reference]},
        )
        return SIMULATIONS.save(
            sim,
            action=ACTION,
            actor=actor,
            changes={"drill_incident": [None, incident.reference]},
            extra={"operation": "drill_incident"},
            before=[event],
        )
