"""Build problems in a given lifecycle state through the real services (tests only).

    from tests.problems.factories import problem_in

    prb = problem_in("known_error", actor=people.im, incidents=[inc.reference])

Every step calls problems.services, so the problem carries the audit events, KB article and
timestamps that people working it would have left. ``closed`` resolves it now and closes it
a stability window later (time-machine: its closed_at lies ahead of the test's clock).
"""

import itertools
import random
import string
from datetime import timedelta

import time_machine
from django.utils import timezone

from catalog.models import Service
from problems import services
from problems.models import Problem, ProblemPolicy

STATUSES = ("new", "under_investigation", "known_error", "resolved", "closed")
_seq = itertools.count(1)


def distinct_title() -> str:
    """A title no other one resembles (random letters: difflib's ratio stays near 0.3)."""
    rng = random.Random(next(_seq) * 7919)
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(24))


def reload(problem: Problem) -> Problem:
    return Problem.objects.get(pk=problem.pk)


def problem_in(
    status: str = "new",
    *,
    actor,
    service: Service | None = None,
    title: str | None = None,
    incidents=(),
    via_workaround: bool = True,
    **create_fields,
) -> Problem:
    """A problem in ``status``, built through the services as ``actor`` (who must be able to
    take every step: an incident manager or an L3 engineer). ``resolved`` passes through
    known_error unless ``via_workaround`` is False. Extra keywords go to problem_create."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    service = service or Service.objects.create(name=f"Service for problems {next(_seq)}")
    problem = services.problem_create(
        actor=actor,
        title=title or distinct_title(),
        description="Built by tests.problems.factories.",
        affected_service=service.reference,
        incidents=incidents,
        **create_fields,
    )
    ref = problem.reference
    if status == "new":
        return reload(problem)
    services.problem_start_investigation(problem=ref, actor=actor)
    if status == "under_investigation":
        return reload(problem)
    if via_workaround or status == "known_error":
        services.problem_record_workaround(
            problem=ref, actor=actor, symptom="Mail stays in the outbox.", root_cause="A stuck relay queue.",
            workaround="Restart the relay.",
        )  # fmt: skip
    if status == "known_error":
        return reload(problem)
    if status == "resolved":
        services.problem_resolve(
            problem=ref, actor=actor, fix_summary="Relay patched.", validation_evidence="No stall for a day."
        )
        return reload(problem)
    services.problem_resolve(
        problem=ref, actor=actor, fix_summary="Relay patched.", validation_evidence="No stall for a day."
    )
    days = ProblemPolicy.current().stability_window_days
    with time_machine.travel(timezone.now() + timedelta(days=days, hours=1), tick=False):
        services.problem_close(problem=ref, actor=actor, closure_notes="Held through the window.")
    return reload(problem)
