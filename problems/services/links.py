"""SOP 19, link: an incident and the problem behind it, one link seen from both records
(``POST /problems/{id}/link-incident/`` and ``POST /incidents/{id}/link-problem/`` are this
one service)."""

from django.utils import timezone

from core.errors import DomainError, ErrorCode, validation_error
from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from incidents.services.sop.base import INCIDENTS
from problems.models import Problem, ProblemIncident
from problems.services.base import PROBLEMS, count_on_incident, incident_link_event


def problem_link_incident(
    *,
    problem: Problem | str,
    incident: Incident | str,
    actor,
    expected_version: int | None = None,
    incident_version: int | None = None,
) -> Problem:
    """SOP 19 (link): link ``incident`` to ``problem``. Both rows are locked, the problem
    first (whichever side asked), each through the actor's visibility, so what they may not
    see is not found; ``expected_version`` is the problem's, ``incident_version`` the
    incident's. The problem may be linked until it closes; the incident in any state.
    Linking a pair twice is refused (409 ``duplicate``) and writes nothing. One append of
    two ``link`` events: the incident's, then the problem's; both versions count it."""
    reference = incident if isinstance(incident, str) else incident.reference
    if not reference or not reference.strip():
        raise validation_error("Name the incident to link.", incident="This field is required.")
    with PROBLEMS.operation(problem, actor, "link_incident", expected_version) as prb:
        inc = INCIDENTS.lock(incidents_visible_to(actor), reference.strip().upper())
        INCIDENTS.check_version(inc, incident_version)
        if ProblemIncident.objects.filter(problem=prb, incident=inc).exists():
            raise DomainError(
                ErrorCode.DUPLICATE,
                f"{inc.reference} is already linked to {prb.reference}; nothing to do.",
                {"existing": [prb.reference]},
            )
        now = timezone.now()
        ProblemIncident.objects.create(problem=prb, incident=inc, linked_by=actor, linked_at=now)
        count_on_incident(inc)
        return PROBLEMS.save(
            prb,
            action="link",
            actor=actor,
            changes={"incident": [None, inc.reference]},
            before=[incident_link_event(inc, prb, actor, at=now)],
        )
