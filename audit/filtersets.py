import django_filters

from audit.models import AuditAction, AuditEvent
from core.filters import IsoDateTimeFilter


class AuditEventFilterSet(django_filters.FilterSet):
    ref = django_filters.CharFilter(field_name="ref_id")
    ref_type = django_filters.CharFilter()
    action = django_filters.ChoiceFilter(field_name="domain_action", choices=AuditAction.choices)
    actor = django_filters.CharFilter(field_name="actor_label")
    created_after = IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["ref", "ref_type", "action", "actor"]
