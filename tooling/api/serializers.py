"""Tool usages in the API (API.md): list rows, the detail, the create body."""

from rest_framework import serializers

from tooling.choices import Outcome, Tool
from tooling.models import ToolUsage


class ToolUsageSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference", read_only=True)
    incident = serializers.CharField(source="incident.reference", read_only=True)
    executor = serializers.CharField(source="executor.username", read_only=True)
    service = serializers.CharField(source="service.reference", read_only=True)

    class Meta:
        model = ToolUsage
        fields = ["id", "incident", "tool", "action_summary", "outcome", "executor", "service", "category",
                  "automation_candidate", "version", "created_at"]  # fmt: skip
        read_only_fields = fields


class ToolUsageCreateSerializer(serializers.Serializer):
    """Shape only: the service checks every rule (choices included, with its own message)."""

    incident = serializers.CharField(max_length=20)
    tool = serializers.ChoiceField(choices=Tool.choices)
    action_summary = serializers.CharField(allow_blank=True, trim_whitespace=False)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    incident_version = serializers.IntegerField(required=False, min_value=1)
