import django_filters
from django.db.models import Q

from monitoring.choices import Outcome, Severity, Source
from monitoring.models import Event


class EventFilter(django_filters.FilterSet):
    """One FilterSet for the events page and the API."""

    q = django_filters.CharFilter(method="search", label="Search")
    source = django_filters.ChoiceFilter(choices=Source.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    service = django_filters.CharFilter(field_name="service__reference")
    incident = django_filters.CharFilter(field_name="incident__reference")
    alert_type = django_filters.CharFilter()
    dedup_key = django_filters.CharFilter()
    event_id = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields: list[str] = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(summary__icontains=value) | Q(alert_type__icontains=value) | Q(reference__iexact=value)
        )
