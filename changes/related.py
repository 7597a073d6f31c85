"""What an incident shows of changes (incidents.related): the changes linked to it, with the
viewer's ``link_change``; the recent changes on its service and the services it depends on;
and the open incidents on those services (seed 003 M3: enrichment with recent changes and
dependency maps). Each is a constant number of queries, however many rows there are."""

from rest_framework.fields import DateTimeField

from changes.policy import may_link
from changes.selectors import incident_change_links, recent_changes_for, related_incidents_for, sees_changes
from incidents.related import Related, related_register

_time = DateTimeField()


def _at(value) -> str | None:
    return _time.to_representation(value) if value is not None else None


def linked_changes(incident, user) -> list[dict]:
    return [
        {"id": link.change.reference, "summary": link.change.summary, "type": link.change.type,
         "status": link.change.status, "relation": link.relation, "linked_at": _at(link.created_at)}
        for link in incident_change_links(incident, user)
    ]  # fmt: skip


def change_links(user, incident) -> list[str]:
    return ["link_change"] if sees_changes(user) and may_link(user, incident) else []


def recent_changes(incident, user) -> list[dict]:
    return [
        {"id": c.reference, "summary": c.summary, "type": c.type, "risk": c.risk, "status": c.status,
         "implemented_at": _at(c.implemented_at), "window_start": _at(c.window_start),
         "affected_services": [s.reference for s in c.affected_services.all()]}
        for c in recent_changes_for(incident, user)
    ]  # fmt: skip


def related_incidents(incident, user) -> list[dict]:
    return [
        {"id": i.reference, "title": i.title, "status": i.status, "priority": i.priority,
         "affected_service": i.affected_service.reference}
        for i in related_incidents_for(incident, user)
    ]  # fmt: skip


related_register(Related("changes", "changes/_incident_changes.html", linked_changes, change_links, order=30))
related_register(Related("recent_changes", "changes/_incident_recent_changes.html", recent_changes, order=31))
related_register(
    Related("related_incidents", "changes/_incident_related_incidents.html", related_incidents, order=32)
)
