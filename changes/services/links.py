"""Change coordination on the incident (SOP 10): link a change to an incident as the change
that fixes it or the change that caused it.

The incident is locked through its own shared path (``INCIDENTS``: what the actor may not
see is not found), then the change through ``CHANGES``; both count the link in their
``version``, and the two audit events — ``update`` on the incident (``change_link``, as seed
001 SOP 10 has it) and ``link`` on the change — are written in one append, in the same
transaction.
"""

from django.db import transaction

from audit.services import append_events, build_event
from changes.choices import ChangeStatus, LinkRelation, Relation
from changes.models import Change, ChangeIncidentLink
from changes.policy import authorize_link
from changes.services.base import CHANGES
from core.errors import DomainError, ErrorCode, validation_error
from incidents.models import Incident
from incidents.services.sop.base import INCIDENTS
from operations import inputs

S = ChangeStatus
# the states a change may be linked from, per relation (SPEC.md, SOP 10): as the fix, an
# approved change (a standard one is approved when requested) or one implemented — after
# its approval, or as an emergency under CAB bypass; as the cause, any implemented or closed
# change (what was never implemented caused nothing)
LINKABLE = {
    Relation.FIXES: (S.APPROVED, S.IMPLEMENTED),
    Relation.CAUSED_BY: (S.IMPLEMENTED, S.CLOSED),
}


def link_refusal(change: Change, relation: str) -> str | None:
    """Why ``change`` may not be linked as ``relation`` now, or None."""
    if change.status in LINKABLE[relation]:
        return None
    if relation == Relation.FIXES:
        tail = " (a closed change can be linked as caused_by)" if change.status == S.CLOSED else ""
        return (
            f"{change.reference} is {change.status}; only an approved, standard or emergency-implemented "
            f"change can be linked{tail}."
        )
    return (
        f"{change.reference} is {change.status}; only an implemented or closed change can be linked as "
        "the cause of an incident."
    )


def lock_incident(actor, reference: str, expected_version: int | None = None) -> Incident:
    """The incident locked through the actor's visibility, the link authorized, its version
    checked (the caller's transaction)."""
    incident = INCIDENTS.lock(INCIDENTS.visible_to(actor), reference)
    authorize_link(actor, incident)
    INCIDENTS.check_version(incident, expected_version)
    return incident


def lock_change(actor, reference: str) -> Change:
    """The change a body names, locked; one the actor may not see is not a valid input."""
    try:
        return CHANGES.lock(CHANGES.visible_to(actor), reference)
    except DomainError as error:
        if error.code != ErrorCode.NOT_FOUND:
            raise
        raise validation_error(f"No change {reference}.", change=f"No change {reference}.") from error


def link_events(*, incident: Incident, change: Change, actor, relation: str, created: bool = False) -> list:
    """The incident's ``update`` event of a new link (and, unless the change is being
    created, whose ``create`` event names it, the change's ``link`` event)."""
    events = [
        build_event(
            action="update",
            obj=incident,
            actor=actor,
            changes={"change_link": [None, change.reference]},
            extra={"relation": relation},
        )
    ]
    if not created:
        events.append(
            build_event(
                action="link",
                obj=change,
                actor=actor,
                changes={"incident_link": [None, incident.reference]},
                extra={"relation": relation},
            )
        )
    return events


def count_link(incident: Incident) -> None:
    """The incident's detail shows its links: a new one is a new version of it."""
    incident.version += 1
    incident.save(update_fields=["version", "updated_at"])


def change_link_incident(
    *, incident: str, change: str, actor, relation: str = Relation.FIXES, expected_version: int | None = None
) -> ChangeIncidentLink:
    """SOP 10: link ``change`` to ``incident`` as its fix (an approved, standard or
    emergency-implemented change, else precondition_failed) or as its cause (an implemented
    or closed change; one per incident). ``expected_version`` is the incident's."""
    inputs.choice(relation, LinkRelation, "relation")
    with transaction.atomic():
        locked = lock_incident(actor, incident, expected_version)
        target = lock_change(actor, change)
        refusal = link_refusal(target, relation)
        if refusal:
            raise DomainError(ErrorCode.PRECONDITION_FAILED, refusal, {"change": [refusal]})
        existing = ChangeIncidentLink.objects.filter(incident=locked).filter(relation=relation)
        if existing.filter(change=target).exists():
            raise DomainError(
                ErrorCode.DUPLICATE,
                f"{target.reference} is already linked to {locked.reference} as {relation}.",
                {"existing": target.reference},
            )
        if relation == Relation.CAUSED_BY:
            cause = existing.select_related("change").first()
            if cause is not None:
                raise DomainError(
                    ErrorCode.DUPLICATE,
                    f"{locked.reference} already records {cause.change.reference} as the change that caused "
                    f"it; an incident has one cause. Link {target.reference} as fixes if it fixed it.",
                    {"existing": cause.change.reference},
                )
        link = ChangeIncidentLink.objects.create(
            change=target, incident=locked, relation=relation, linked_by=actor
        )
        count_link(locked)
        target.version += 1
        target.save(update_fields=["version", "updated_at"])
        append_events(link_events(incident=locked, change=target, actor=actor, relation=relation))
    return link
