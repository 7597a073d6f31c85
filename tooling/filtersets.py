"""One FilterSet for the tool usage list: the API and the browser page use it alike."""

import django_filters
from django.db.models import Q

from core.filters import IsoDateTimeFilter
from tooling.choices import Outcome, Tool
from tooling.models import ToolUsage


class ToolUsageFilterSet(django_filters.FilterSet):
    incident = django_filters.CharFilter(method="filter_incident", label="Incident (INC-…)")
    tool = django_filters.MultipleChoiceFilter(choices=Tool.choices, distinct=False)
    outcome = django_filters.MultipleChoiceFilter(choices=Outcome.choices, distinct=False)
    executor = django_filters.CharFilter(field_name="executor__username")
    service = django_filters.CharFilter(field_name="service__reference")
    automation_candidate = django_filters.BooleanFilter(label="Automation candidates only")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = ToolUsage
        fields = []

    def filter_incident(self, queryset, name, value):
        return queryset.filter(incident__reference=value.strip().upper())

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("TOOL-"):
            return queryset.filter(reference=value.upper())
        return queryset.filter(Q(action_summary__icontains=value) | Q(incident__reference=value.upper()))
