"""Reads of incidents that are audited: opening a security incident, seeing one in a list,
and looking incidents up (SOP 1). The only writers of ``read`` and lookup ``identify``
events about incidents."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record, audit_record_each, audit_record_lookup
from incidents.models import Incident

# a list shown again within this window (the desk refreshes every 30 s) is not a new read
LIST_READ_WINDOW = timedelta(minutes=15)
# query parameters that page or order a list rather than say what is looked for
NOT_FILTERS = frozenset({"page", "page_size", "ordering", "queue", "format"})


def incident_record_read(*, incident: Incident, actor) -> None:
    """Security incidents: every read is an audit event (SPEC.md)."""
    if incident.is_security:
        with transaction.atomic():
            audit_record(action="read", obj=incident, actor=actor)


def incidents_record_list_read(*, incidents, actor, via: str = "list") -> int:
    """Security incidents shown in a list (title, status, …) are read too: seed 001 audits
    every read where access is controlled. One ``read`` event per security incident shown,
    written together; one this person already read (listed or opened) within
    LIST_READ_WINDOW is not recorded again, so a list that refreshes itself does not flood
    the trail. Opening an incident is always recorded (incident_record_read). Returns how
    many were recorded."""
    secret = {i.reference: i for i in incidents if i.is_security}
    if not secret:
        return 0
    with transaction.atomic():
        recent = set(
            AuditEvent.objects.filter(
                ref_type="incident",
                ref_id__in=list(secret),
                domain_action="read",
                actor=actor,
                timestamp__gte=timezone.now() - LIST_READ_WINDOW,
            ).values_list("ref_id", flat=True)
        )
        fresh = [incident for ref, incident in secret.items() if ref not in recent]
        audit_record_each(action="read", objs=fresh, actor=actor, extra={"via": via})
    return len(fresh)


def incidents_record_lookup(*, actor, params, via: str) -> bool:
    """SOP 1 (entity lookup): a search or filtered list of incidents is an ``identify`` event
    that stores only the entity type and the filters used (seed 001). Plain queues, paging
    and the lists that refresh themselves are not lookups. Returns whether one was written."""
    filters = {
        key: values[0] if len(values) == 1 else values
        for key, values in params.lists()
        if key not in NOT_FILTERS and any(value.strip() for value in values)
    }
    if not filters:
        return False
    audit_record_lookup(model=Incident, actor=actor, filters=filters, via=via)
    return True
