"""SOP 19, update: the fields of an active problem that no other operation governs, with a
field-level audit of what changed."""

from core.errors import validation_error
from operations import inputs
from problems.models import Problem
from problems.services.base import PROBLEMS, TEXT
from problems.services.people import team_or_none, worker_or_none

# the fields problem_update may change; status, the workaround, the fix and the closure
# are set by their own operations
UPDATABLE = ("title", "description", "affected_service", "symptom", "root_cause", "owner_team", "assignee")


def problem_update(
    *,
    problem: Problem | str,
    actor,
    expected_version: int | None = None,
    title: str | None = None,
    description: str | None = None,
    affected_service: str | None = None,
    symptom: str | None = None,
    root_cause: str | None = None,
    owner_team: str | None = None,
    assignee: str | None = None,
) -> Problem:
    """SOP 19 (update): change any of UPDATABLE (None: not given; "" clears the owner team
    or the assignee) while the problem is new, under investigation or a known error. One
    ``update`` event with the delta of each field that changed; nothing to change is a
    validation error."""
    with PROBLEMS.operation(problem, actor, "update", expected_version) as prb:
        changes: dict[str, list] = {}

        def change(field: str, old, new, value=None) -> None:
            """Record ``field`` going from ``old`` to ``new`` (as the trail names them) and
            set it to ``value`` (the related row), or to ``new`` itself."""
            if old != new:
                changes[field] = [old, new]
                setattr(prb, field, value if value is not None or new is None else new)

        if title is not None:
            change("title", prb.title, TEXT.required(title, "title", f"{prb.reference} needs a title."))
        for field, given in (("description", description), ("symptom", symptom), ("root_cause", root_cause)):
            if given is not None:
                change(field, getattr(prb, field), TEXT.text(given, field))
        if affected_service is not None:
            service = inputs.active_service(affected_service)
            change("affected_service", prb.affected_service.reference, service.reference, service)
        if owner_team is not None:
            team = team_or_none(owner_team)
            old = prb.owner_team.code if prb.owner_team_id else None
            change("owner_team", old, team.code if team else None, team)
        if assignee is not None:
            worker = worker_or_none(assignee)
            old = prb.assignee.username if prb.assignee_id else None
            change("assignee", old, worker.username if worker else None, worker)
        if not changes:
            raise validation_error(f"Nothing to change on {prb.reference}.", non_field_errors="Unchanged.")
        return PROBLEMS.save(prb, action="update", actor=actor, changes=changes)
