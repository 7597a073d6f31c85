"""Reads of changes, scoped to the viewer: staff see every change; end users none (they
follow their incidents, not the changes made for them). Every list and detail, UI and API,
starts here."""

from datetime import timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Service
from changes.choices import ChangeStatus
from changes.models import Change, ChangeIncidentLink
from core.roles import STAFF_ROLES, user_roles
from incidents.choices import ACTIVE_STATUSES
from incidents.selectors import incident_visible_to, incidents_visible_to

# how far before an incident was detected its enrichment looks for changes (seed 003 M3)
RECENT_CHANGES_WINDOW = timedelta(days=7)
ENRICHMENT_LIMIT = 20


def sees_changes(user) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def changes_visible_to(user) -> QuerySet[Change]:
    if not sees_changes(user):
        return Change.objects.none()
    return Change.objects.all()


def change_rows(queryset: QuerySet[Change]) -> QuerySet[Change]:
    """A list's rows: the requester joined, the affected services read for the whole page in
    one more query."""
    return queryset.select_related("requester").prefetch_related(
        Prefetch("affected_services", queryset=Service.objects.only("id", "reference", "name"))
    )


def change_detail_queryset(user) -> QuerySet[Change]:
    """One change with everything its detail shows: people joined; services, articles and
    incident links one query each."""
    return (
        changes_visible_to(user)
        .select_related("requester", "approver", "rejected_by", "implemented_by", "closed_by")
        .prefetch_related(
            Prefetch("affected_services", queryset=Service.objects.only("id", "reference", "name")),
            "articles",
            Prefetch(
                "incident_links",
                queryset=ChangeIncidentLink.objects.select_related("incident", "linked_by"),
            ),
        )
    )


def visible_incident_links(user, change: Change) -> list[ChangeIncidentLink]:
    """The change's incident links (prefetched) whose incident ``user`` may see."""
    return [link for link in change.incident_links.all() if incident_visible_to(user, link.incident)]


def cab_queue(user) -> dict[str, QuerySet[Change]]:
    """What the CAB decides: pending changes, oldest first; emergency changes implemented under
    CAB bypass that still await their retrospective approval."""
    visible = change_rows(changes_visible_to(user))
    return {
        "pending": visible.filter(status=ChangeStatus.PENDING).order_by("created_at", "id"),
        "retrospective": visible.filter(
            status=ChangeStatus.IMPLEMENTED, cab_bypassed=True, approved_at__isnull=True
        ).order_by("implemented_at", "id"),
    }


# ---- what an incident shows -------------------------------------------------------------
def incident_change_links(incident, user) -> list[ChangeIncidentLink]:
    if not sees_changes(user):
        return []
    return list(
        ChangeIncidentLink.objects.filter(incident=incident)
        .select_related("change")
        .order_by("created_at", "id")
    )


def scope_services(incident) -> QuerySet[Service]:
    """The incident's service and the services it depends on (one level: catalog's
    ``depends_on``), as a subquery."""
    service_id = incident.affected_service_id
    return Service.objects.filter(Q(pk=service_id) | Q(dependents=service_id)).values("pk")


def recent_changes_for(incident, user, now=None) -> list[Change]:
    """Changes on the incident's service or the services it depends on, implemented — or
    scheduled to start — from 7 days before the incident was detected until now; rejected
    ones left out. One query for the changes, one for their services."""
    if not sees_changes(user):
        return []
    now = now or timezone.now()
    since = (incident.detected_at or incident.created_at) - RECENT_CHANGES_WINDOW
    rows = (
        Change.objects.filter(
            pk__in=Change.affected_services.through.objects.filter(
                service_id__in=scope_services(incident)
            ).values("change_id")
        )
        .filter(
            Q(implemented_at__gte=since, implemented_at__lte=now)
            | Q(window_start__gte=since, window_start__lte=now)
        )
        .exclude(status=ChangeStatus.REJECTED)
        .prefetch_related(Prefetch("affected_services", queryset=Service.objects.only("id", "reference")))
        .order_by(Coalesce("implemented_at", "window_start").desc(), "-id")
    )
    return list(rows[:ENRICHMENT_LIMIT])


def related_incidents_for(incident, user) -> list:
    """The open incidents, other than this one, on the incident's service or the services it
    depends on, that ``user`` may see; newest first."""
    if not sees_changes(user):
        return []
    rows = (
        incidents_visible_to(user)
        .filter(status__in=ACTIVE_STATUSES, affected_service_id__in=scope_services(incident))
        .exclude(pk=incident.pk)
        .select_related("affected_service")
        .only("reference", "title", "status", "priority", "created_at", "affected_service__reference")
        .order_by("-created_at", "-id")
    )
    return list(rows[:ENRICHMENT_LIMIT])
