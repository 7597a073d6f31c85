"""Reads of simulations, scoped to the viewer: incident managers and auditors see them all."""

from django.db.models import Count, Prefetch, QuerySet

from simulations.models import FollowUp, Simulation
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
        )
        .filter(reference=reference)
        .first()
    )
