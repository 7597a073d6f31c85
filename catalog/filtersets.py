import django_filters
from django.db.models import Q

from catalog.models import Criticality, Service, Vendor


class ServiceFilterSet(django_filters.FilterSet):
    criticality = django_filters.ChoiceFilter(choices=Criticality.choices)
    owner_team = django_filters.CharFilter(field_name="owner_team__code")
    is_active = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="search")

    class Meta:
        model = Service
        fields = ["criticality", "owner_team", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(reference__iexact=value))


class VendorFilterSet(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="search")

    class Meta:
        model = Vendor
        fields = ["is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(reference__iexact=value))
