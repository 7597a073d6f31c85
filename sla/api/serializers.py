from rest_framework import serializers

from core.api.serializers import StrictInputSerializer
from sla.models import Clock, SlaPolicy, SlaTarget


class SlaTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaTarget
        fields = ["priority", "acknowledge_minutes", "resolve_minutes", "update_every_minutes", "clock"]


class SlaPolicySerializer(serializers.ModelSerializer):
    id = serializers.SerializerMethodField()
    targets = SlaTargetSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = SlaPolicy
        fields = ["id", "version", "note", "targets", "created_by", "created_at", "updated_at"]

    def get_id(self, obj) -> str:
        return f"SLA-v{obj.version}"


class TargetInputSerializer(StrictInputSerializer):
    acknowledge_minutes = serializers.IntegerField(min_value=1)
    resolve_minutes = serializers.IntegerField(min_value=1)
    update_every_minutes = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None
    )
    clock = serializers.ChoiceField(choices=Clock.choices)


class SlaPolicyInputSerializer(StrictInputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    targets = serializers.DictField(child=TargetInputSerializer())
