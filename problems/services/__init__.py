"""The only writers of problems: one service per step of SOP 19, each one operation on the
shared path (operations.path): lock the row through the actor's visibility, authorize, check
the version and the state, validate, apply, save and audit in one transaction. Any refusal
raises DomainError and changes nothing."""

from problems.services.base import PROBLEMS, STATE_RULES
from problems.services.create import problem_create, problems_duplicating, titles_similar
from problems.services.lifecycle import (
    problem_close,
    problem_record_workaround,
    problem_resolve,
    problem_start_investigation,
    problems_recurring_incidents,
)
from problems.services.links import problem_link_incident
from problems.services.update import UPDATABLE, problem_update

__all__ = [
    "PROBLEMS", "STATE_RULES", "UPDATABLE", "problem_close", "problem_create", "problem_link_incident",
    "problem_record_workaround", "problem_resolve", "problem_start_investigation", "problem_update",
    "problems_duplicating", "problems_recurring_incidents", "titles_similar",
]  # fmt: skip
