from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    action = serializers.CharField(source="domain_action")
    actor = serializers.CharField(source="actor_label")
    ref = serializers.CharField(source="ref_id")

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "timestamp",
            "action",
            "ref_type",
            "ref",
            "actor",
            "changes",
            "additional_data",
            "hash",
            "prev_hash",
        ]
        read_only_fields = fields
