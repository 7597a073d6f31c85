"""Reads of simulations, scoped to the viewer: incident managers and auditors see them all."""

from django.db.models import Count, Prefetch, QuerySet

from simulations.models import DrillIncident, FollowUp, Simulation
from simulations.policy import may_view


def simulations_visible_to(user) -> QuerySet[Simulation]:
    if not may_view(user):
        return Simulation.objects.none()
    return Simulation.objects.all()


def simulation_rows(user) -> QuerySet[Simulation]:
    return (
        simulations_visible_to(user)
        .select_related("simulated_by")
        .annotate(participant_count=Count("participants", distinct=True))
        .order_by("-created_at", "-id")
    )


def simulation_for_page(user, reference: str) -> Simulation | None:
    return (
        simulations_visible_to(user)
        .select_related("simulated_by")
        .prefetch_related(
            "participants",
            "injects",
            Prefetch("follow_ups", queryset=FollowUp.objects.select_related("owner")),
            Prefetch("drills", queryset=DrillIncident.objects.select_related("incident")),
        )
        .filter(reference=reference)
        .first()
    )


def incident_drill(incident, user) -> list[dict]:
    """The simulation a drill incident was opened in, as the incident's detail shows it
    (every viewer of the incident is told it is a drill): none, or one query."""
    if not incident.is_drill:
        return []
    drills = DrillIncident.objects.filter(incident=incident).select_related("simulation")
    return [{"id": d.simulation.reference, "scenario": d.simulation.scenario} for d in drills]
