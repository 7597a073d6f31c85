"""The problem on the shared operation path (operations.path): its visibility, policy and
state rules, and its rules of input. The modules beside this one are its operations."""

from audit.services import build_event
from core.errors import validation_error
from incidents.models import Incident
from operations.inputs import TextRules
from operations.path import Governed, state_rules
from problems.choices import ProblemStatus
from problems.models import Problem
from problems.policy import authorize
from problems.selectors import problems_visible_to

P = ProblemStatus

# operation -> (states it may start from, past participle for messages); the moves the
# model's transitions make take their states from the transition's ``source``
STATE_RULES = state_rules(
    {
        "update": ((P.NEW, P.UNDER_INVESTIGATION, P.KNOWN_ERROR), "updated"),
        "start_investigation": (Problem.start_investigation, "investigated"),
        "record_workaround": (Problem.record_workaround, "given a workaround"),
        # a resolved problem may still be linked: an incident it caused during the
        # stability window is what keeps it from closing
        "link_incident": ((P.NEW, P.UNDER_INVESTIGATION, P.KNOWN_ERROR, P.RESOLVED), "linked to an incident"),
        "resolve": (Problem.resolve, "resolved"),
        "close": (Problem.close, "closed"),
    }
)

PROBLEMS = Governed(
    model=Problem,
    visible_to=problems_visible_to,
    authorize=authorize,
    rules=STATE_RULES,
    noun="problem",
    related=("affected_service", "owner_team", "assignee"),
)

TEXT = TextRules(
    {
        "title": 200,
        "description": 10_000,
        "symptom": 10_000,
        "root_cause": 10_000,
        "workaround": 10_000,
        "fix_summary": 10_000,
        "validation_evidence": 10_000,
        "closure_notes": 5_000,
        "note": 2_000,
    }
)


def require_each(values: dict[str, str | None], message: str) -> dict[str, str]:
    """The texts of ``values`` stripped and within their limits, or one validation_error
    naming every field left empty: ``message`` with the missing names in place of
    ``{missing}``."""
    cleaned = {field: TEXT.text(value, field) for field, value in values.items()}
    missing = [field for field, value in cleaned.items() if not value]
    if missing:
        names = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
        raise validation_error(
            message.format(missing=names), **{f: "This field is required." for f in missing}
        )
    return cleaned


def incident_link_event(incident: Incident, problem: Problem, actor, at=None):
    """The incident's side of a link: its ``link`` event, naming the problem."""
    return build_event(
        action="link", obj=incident, actor=actor, changes={"problem": [None, problem.reference]}, at=at
    )


def count_on_incident(incident: Incident) -> None:
    """A link is an operation on the incident too: it counts in the incident's version (so
    its ETag moves with what its detail shows). Only the version and the time are written."""
    incident.version += 1
    incident.save(update_fields=["version", "updated_at"])  # updated_at: auto_now
