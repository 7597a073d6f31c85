"""One FilterSet for the change list: the API and the browser's list page use it alike."""

import django_filters
from django.db.models import Q

from changes.choices import ChangeStatus, ChangeType, Risk
from changes.models import Change
from core.filters import IsoDateTimeFilter


class ChangeFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ChangeStatus.choices, distinct=False)
    type = django_filters.MultipleChoiceFilter(choices=ChangeType.choices, distinct=False)
    risk = django_filters.MultipleChoiceFilter(choices=Risk.choices, distinct=False)
    affected_service = django_filters.CharFilter(method="filter_affected_service")
    requester = django_filters.CharFilter(field_name="requester__username")
    cab_bypassed = django_filters.BooleanFilter()
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("window_start", "window_start"),
            ("implemented_at", "implemented_at"),
            ("reference", "id"),
        ),
        empty_label="newest first",
    )

    class Meta:
        model = Change
        fields = []

    def filter_affected_service(self, queryset, name, value):
        # a subquery rather than a join: a change on two services is still one row
        through = Change.affected_services.through.objects.filter(service__reference=value.strip().upper())
        return queryset.filter(pk__in=through.values("change_id"))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("CHG-"):
            return queryset.filter(reference=value.upper())
        return queryset.filter(Q(summary__icontains=value) | Q(description__icontains=value))
