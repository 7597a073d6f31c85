from rest_framework import serializers

from monitoring.models import Event


class EventSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference", read_only=True)
    service = serializers.CharField(source="service.reference", read_only=True)
    incident = serializers.SerializerMethodField()
    rule = serializers.CharField(source="rule.name", read_only=True, default=None)

    class Meta:
        model = Event
        fields = [
            "id", "source", "service", "alert_type", "severity", "occurred_at", "event_id", "dedup_key",
            "summary", "outcome", "rule", "incident", "received_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_incident(self, obj) -> str | None:
        return obj.incident.reference if obj.incident_id else None


class EventDetailSerializer(EventSerializer):
    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "raw"]
        read_only_fields = fields
