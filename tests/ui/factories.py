"""Incidents for the desk tests, made through the real services (audit, communications and
SLA deadlines included)."""

import itertools

from catalog.models import Service
from incidents import services

_titles = itertools.count(1)


def service(name: str = "Email") -> Service:
    return Service.objects.filter(name=name).first() or Service.objects.create(name=name)


def report(reporter, *, priority: str = "P3", category: str = "software", title: str | None = None, **extra):
    levels = {
        "P1": ("high", "high"),
        "P2": ("high", "medium"),
        "P3": ("medium", "medium"),
        "P4": ("low", "low"),
    }
    impact, urgency = levels[priority]
    incident, _ = services.incident_create(
        actor=reporter,
        title=title or f"Desk test incident {next(_titles)}",
        impact=impact,
        urgency=urgency,
        category=category,
        affected_service=extra.pop("affected_service", None) or service().reference,
        **extra,
    )
    return incident


def assign(incident, actor, team: str = "L1", assignee: str | None = None):
    return services.incident_assign(incident=incident.reference, actor=actor, team=team, assignee=assignee)


def resolve(incident, actor):
    return services.incident_resolve(
        incident=incident.reference, actor=actor, resolution_summary="Fixed.", service_restored=True
    )
