"""One FilterSet for the simulation list: the API and the browser page use it alike."""

import django_filters
from django.db.models import Q

from core.filters import IsoDateTimeFilter
from simulations.choices import SimulationStatus
from simulations.models import Simulation


class SimulationFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SimulationStatus.choices, distinct=False)
    participant = django_filters.CharFilter(method="filter_participant", label="Participant (username)")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = Simulation
        fields = []

    def filter_participant(self, queryset, name, value):
        return queryset.filter(pk__in=Simulation.participants.through.objects.filter(
            user__username=value.strip()).values("simulation_id"))  # fmt: skip

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("SIM-"):
            return queryset.filter(reference=value.upper())
        return queryset.filter(Q(scenario__icontains=value) | Q(scope__icontains=value))
