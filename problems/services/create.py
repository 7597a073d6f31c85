"""SOP 19, create: a new problem, unless an active problem on the same service already
covers it, with the incidents it causes linked at once."""

import difflib
import re
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from rapidfuzz.distance import Indel

from audit.services import append_events, build_event
from catalog.models import Service
from core.errors import DomainError, ErrorCode, validation_error
from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from operations import inputs
from problems.choices import ACTIVE_STATUSES
from problems.models import Problem, ProblemIncident
from problems.policy import authorize
from problems.selectors import problems_visible_to
from problems.services.base import TEXT, count_on_incident, incident_link_event
from problems.services.people import team_or_none, worker_or_none

DUPLICATE_SIMILARITY = 0.6
# a title contained in another counts as the same problem only if it says this much: a
# bare "Email" on the Email service is no evidence
CONTAINED_MIN_LENGTH = 8
# the active problems of one service compared, newest first: a service has a handful
DUPLICATE_SCAN = 1_000


def _normal(title: str) -> str:
    return re.sub(r"\s+", " ", title.lower()).strip()


def titles_similar(a: str, b: str) -> bool:
    """The same problem in other words: one title inside the other, or difflib's ratio at
    least DUPLICATE_SIMILARITY. rapidfuzz's normalised Indel similarity (2·LCS/(|a|+|b|),
    in C) is never below that ratio, so it rules most titles out before the full match."""
    a, b = _normal(a), _normal(b)
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= CONTAINED_MIN_LENGTH and shorter in longer:
        return True
    if Indel.normalized_similarity(a, b) < DUPLICATE_SIMILARITY:
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= DUPLICATE_SIMILARITY


def problems_duplicating(*, actor, service: Service, title: str) -> list[Problem]:
    """The active problems on ``service`` whose title resembles ``title``, newest first."""
    candidates = (
        problems_visible_to(actor)
        .filter(affected_service=service, status__in=ACTIVE_STATUSES)
        .order_by("-created_at", "-id")
        .values_list("pk", "reference", "title", "status")[:DUPLICATE_SCAN]
    )
    similar = [
        (pk, ref, other, status) for pk, ref, other, status in candidates if titles_similar(title, other)
    ]
    return [Problem(pk=pk, reference=ref, title=other, status=status) for pk, ref, other, status in similar]


def _duplicate(service: Service, existing: list[Problem]) -> DomainError:
    first = existing[0]
    return DomainError(
        ErrorCode.DUPLICATE,
        f"An active problem on {service.reference} already covers this: {first.reference} "
        f"“{first.title}” ({first.status}). Link the incidents to {first.reference} instead, or give "
        "a title that tells the problems apart.",
        {"existing": [p.reference for p in existing]},
    )


def _incidents_locked(actor, references: Iterable[str]) -> list[Incident]:
    """The incidents named, each visible to ``actor``, locked for their link (one query), in
    the order given; a validation error names the first the actor cannot see."""
    references = list(dict.fromkeys(r.strip().upper() for r in references if r and r.strip()))
    if not references:
        return []
    found = {
        i.reference: i
        for i in incidents_visible_to(actor).select_for_update(of=("self",)).filter(reference__in=references)
    }
    for reference in references:
        if reference not in found:
            raise validation_error(f"No incident {reference}.", incidents=f"No incident {reference}.")
    return [found[r] for r in references]


def problem_create(
    *,
    actor,
    title: str,
    affected_service: str,
    description: str = "",
    incidents: Iterable[str] = (),
    symptom: str = "",
    owner_team: str | None = None,
    assignee: str | None = None,
) -> Problem:
    """SOP 19 (create): a ``new`` problem on an active service, refused with ``duplicate``
    (``fields.existing``) while an active problem on that service has a similar title; the
    incidents named are linked in the same operation (a ``link`` event on each)."""
    authorize(actor, "create")
    title = TEXT.required(title, "title", "A problem needs a title.")
    description, symptom = TEXT.text(description, "description"), TEXT.text(symptom, "symptom")
    if not affected_service:
        raise validation_error(
            "A problem needs the affected_service it lies in.", affected_service="This field is required."
        )
    with transaction.atomic():
        service = inputs.active_service(affected_service)
        # one create per service at a time, so two people raising the same problem at once
        # do not both pass the duplicate check
        service = Service.objects.select_for_update().get(pk=service.pk)
        existing = problems_duplicating(actor=actor, service=service, title=title)
        if existing:
            raise _duplicate(service, existing)
        team, worker = team_or_none(owner_team), worker_or_none(assignee)
        linked = _incidents_locked(actor, incidents)
        now = timezone.now()
        problem = Problem(
            title=title,
            description=description,
            symptom=symptom,
            affected_service=service,
            created_by=actor,
            owner_team=team,
            assignee=worker,
        )
        problem.save()
        ProblemIncident.objects.bulk_create(
            [ProblemIncident(problem=problem, incident=i, linked_by=actor, linked_at=now) for i in linked]
        )
        for incident in linked:
            count_on_incident(incident)
        changes = {
            "status": [None, problem.status],
            "title": [None, title],
            "affected_service": [None, service.reference],
        }
        for field, value in (("owner_team", team and team.code), ("assignee", worker and worker.username)):
            if value:
                changes[field] = [None, value]
        if linked:
            changes["incidents"] = [None, ", ".join(i.reference for i in linked)]
        append_events(
            [
                build_event(action="create", obj=problem, actor=actor, changes=changes, at=now),
                *(incident_link_event(i, problem, actor, at=now) for i in linked),
            ]
        )
    return problem
