"""One FilterSet for the review list: the API uses it, and so does the browser's list."""

import django_filters
from django.db.models import Q

from core.filters import IsoDateTimeFilter
from reviews.choices import ReviewStatus
from reviews.models import Review


class ReviewFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReviewStatus.choices, distinct=False)
    incident = django_filters.CharFilter(field_name="incident__reference")
    author = django_filters.CharFilter(field_name="author__username")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="search")

    class Meta:
        model = Review
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        upper = value.upper()
        if upper.startswith("PIR-"):
            return queryset.filter(reference=upper)
        if upper.startswith("INC-"):
            return queryset.filter(incident__reference=upper)
        text = Q()
        for field in ("incident__title", "timeline", "contributing_factors", "root_cause", "lessons"):
            text |= Q(**{f"{field}__icontains": value})
        return queryset.filter(text)
