"""Build incidents in a given lifecycle state through the real services (tests only).

    from tests.incidents.factories import incident_in

    inc = incident_in("pending_vendor", priority="P1", team="L2")

Every step calls incidents.services, so the incident carries the audit events,
acknowledgement, communications, vendor engagement and timestamps that people working it
would have left. Nothing is written to the database directly. The functions need database
access (the ``db`` fixture, or ``django_db``).

Paths taken (``actor`` does every step; by default a fresh incident manager, who may take
every operation and is not the reporter, so segregation of duties never interferes):

=================  ===============================================================
``open``           incident_create
``in_progress``    … + incident_assign(team)
``escalated``      … + incident_assign(team) + incident_escalate(escalate_to)
``pending_vendor`` … + incident_assign(team) + incident_engage_vendor(vendor)
``resolved``       … + incident_assign(team) + incident_resolve
``closed``         … + incident_assign(team) + incident_resolve + incident_close
=================  ===============================================================
"""

import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import Team
from catalog.models import Service, Vendor
from incidents import services
from incidents.models import Incident

User = get_user_model()

# The (impact, urgency) pair of the matrix that gives each priority.
LEVELS_FOR_PRIORITY = {
    "P1": ("high", "high"),
    "P2": ("high", "medium"),
    "P3": ("medium", "medium"),
    "P4": ("low", "low"),
}
STATUSES = ("open", "in_progress", "escalated", "pending_vendor", "resolved", "closed")

_seq = itertools.count(1)


def make_staff(*roles: str, team: str | list[str] | None = None, username: str | None = None):
    """A user with these roles (group names) and teams (team codes)."""
    user = User.objects.create_user(username=username or f"fx{next(_seq)}", password="pw-" + "x" * 12)
    if roles:
        user.groups.add(*Group.objects.filter(name__in=roles))
    for code in [team] if isinstance(team, str) else team or []:
        Team.objects.get(code=code).members.add(user)
    return user


def make_service(name: str | None = None) -> Service:
    return Service.objects.create(name=name or f"Service {next(_seq)}")


def make_vendor(name: str | None = None) -> Vendor:
    return Vendor.objects.create(name=name or f"Vendor {next(_seq)}")


def reload(incident: Incident) -> Incident:
    """A fresh copy from the database (services lock and save their own copy)."""
    return Incident.objects.get(pk=incident.pk)


def incident_in(
    status: str = "open",
    *,
    priority: str = "P3",
    team: str = "L1",
    reporter=None,
    category: str = "software",
    actor=None,
    service: Service | None = None,
    title: str | None = None,
    escalate_to: str = "L2",
    vendor: Vendor | None = None,
    **create_fields,
) -> Incident:
    """An incident in ``status``, built through the services (see the module docstring).

    ``priority`` picks impact and urgency from the matrix (no justification needed).
    ``reporter`` defaults to a fresh end user, ``service`` and ``vendor`` to fresh ones.
    ``team`` is the assignment team of every assigned state; an ``escalated`` incident
    ends with ``escalate_to`` instead. Extra keywords go to incident_create.
    Returns the incident as stored.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    actor = actor or make_staff("incident_manager", team="incident_manager")
    reporter = reporter or make_staff("end_user")
    impact, urgency = LEVELS_FOR_PRIORITY[priority]
    incident, _ = services.incident_create(
        actor=actor,
        title=title or f"Incident {next(_seq)}",
        description="Built by tests.incidents.factories.",
        category=category,
        impact=impact,
        urgency=urgency,
        affected_service=(service or make_service()).reference,
        reporter=reporter.get_username(),
        **create_fields,
    )
    ref = incident.reference
    if status == "open":
        return reload(incident)
    services.incident_assign(incident=ref, actor=actor, team=team)
    if status == "escalated":
        services.incident_escalate(
            incident=ref, actor=actor, target=escalate_to, reason="Needs more expertise."
        )
    elif status == "pending_vendor":
        services.incident_engage_vendor(
            incident=ref, actor=actor, vendor=(vendor or make_vendor()).reference, contact_method="email"
        )
    elif status in ("resolved", "closed"):
        services.incident_resolve(
            incident=ref, actor=actor, resolution_summary="Restarted the service.", service_restored=True
        )
        if status == "closed":
            services.incident_close(incident=ref, actor=actor, closure_notes="Confirmed with the user.")
    return reload(incident)
