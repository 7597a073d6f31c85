"""One FilterSet for the problem list: the API and the browser page use it alike."""

import django_filters
from django.db.models import Q

from core.filters import IsoDateTimeFilter
from incidents.selectors import incidents_visible_to
from problems.choices import ProblemStatus
from problems.models import Problem


class ProblemFilterSet(django_filters.FilterSet):
    # columns of the problem (and its one service, team, assignee): no join repeats a row
    status = django_filters.MultipleChoiceFilter(choices=ProblemStatus.choices, distinct=False)
    affected_service = django_filters.CharFilter(field_name="affected_service__reference")
    owner_team = django_filters.CharFilter(field_name="owner_team__code")
    assignee = django_filters.CharFilter(field_name="assignee__username")
    created_by = django_filters.CharFilter(field_name="created_by__username")
    incident = django_filters.CharFilter(method="filter_incident", label="Linked incident (INC-…)")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search", label="Search")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("status", "status"),
            ("reference", "id"),
        )
    )

    class Meta:
        model = Problem
        fields = []

    def filter_incident(self, queryset, name, value):
        """Problems linked to an incident the viewer can see (one link per pair: no repeats)."""
        visible = incidents_visible_to(getattr(self.request, "user", None))
        return queryset.filter(incident_links__incident__reference=value.strip().upper(),
                               incident_links__incident__in=visible)  # fmt: skip

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("PRB-"):
            return queryset.filter(reference=value.upper())
        text = Q()
        for field in ("title", "description", "symptom", "root_cause", "workaround"):
            text |= Q(**{f"{field}__icontains": value})
        return queryset.filter(text)
