"""Simulations in the API (API.md): list rows, the detail with its injects and follow-ups,
and the bodies of its operations (shape only: the services check every rule)."""

from rest_framework import serializers

from simulations.models import Simulation


class SimulationListSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference", read_only=True)
    simulated_by = serializers.CharField(source="simulated_by.username", read_only=True)
    participant_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Simulation
        fields = ["id", "scenario", "status", "simulated_by", "participant_count", "version", "created_at",
                  "started_at", "completed_at"]  # fmt: skip
        read_only_fields = fields


class SimulationDetailSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference", read_only=True)
    simulated_by = serializers.CharField(source="simulated_by.username", read_only=True)
    participants = serializers.SerializerMethodField()
    injects = serializers.SerializerMethodField()
    follow_ups = serializers.SerializerMethodField()
    drill_incidents = serializers.SerializerMethodField()

    class Meta:
        model = Simulation
        fields = ["id", "scenario", "scope", "status", "outcomes", "simulated_by", "participants", "injects",
                  "follow_ups", "drill_incidents", "version", "created_at", "started_at",
                  "completed_at"]  # fmt: skip
        read_only_fields = fields

    def get_participants(self, obj) -> list[str]:
        return sorted(u.username for u in obj.participants.all())

    def get_injects(self, obj) -> list[dict]:
        return [{"at": i.at, "description": i.description} for i in obj.injects.all()]

    def get_drill_incidents(self, obj) -> list[str]:
        return [d.incident.reference for d in obj.drills.all()]

    def get_follow_ups(self, obj) -> list[dict]:
        return [{"description": f.description, "owner": f.owner.username} for f in obj.follow_ups.all()]


class SimulationCreateSerializer(serializers.Serializer):
    scenario = serializers.CharField(allow_blank=True)
    scope = serializers.CharField(allow_blank=True)
    participants = serializers.ListField(child=serializers.CharField(max_length=150), required=False)
    outcome = serializers.CharField(allow_blank=True, required=False, default="")


class SimulationVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)


class SimulationInjectSerializer(SimulationVersionSerializer):
    at = serializers.DateTimeField()
    description = serializers.CharField(allow_blank=True)


class SimulationCompleteSerializer(SimulationVersionSerializer):
    outcomes = serializers.CharField(allow_blank=True)


class SimulationFollowUpSerializer(SimulationVersionSerializer):
    description = serializers.CharField(allow_blank=True)
    owner = serializers.CharField(allow_blank=True, max_length=150)


class SimulationDrillIncidentSerializer(SimulationVersionSerializer):
    title = serializers.CharField(allow_blank=True, max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    category = serializers.CharField(required=False, default="other")
    impact = serializers.CharField()
    urgency = serializers.CharField()
    affected_service = serializers.CharField(max_length=20)
