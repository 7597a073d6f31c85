from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from changes.choices import ChangeType, LinkRelation, Risk
from changes.models import Change, ChangeIncidentLink
from changes.selectors import visible_incident_links
from core.api.serializers import StrictInputSerializer


def _username():
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)


class ImplementationWindowSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ChangeSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference", read_only=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    affected_services = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    implementation_window = serializers.SerializerMethodField()

    class Meta:
        model = Change
        fields = [
            "id", "summary", "type", "risk", "status", "version", "requester", "affected_services",
            "implementation_window", "cab_bypassed", "approved_retrospectively", "approved_at",
            "implemented_at", "success", "closed_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ImplementationWindowSerializer(allow_null=True))
    def get_implementation_window(self, change) -> dict | None:
        """``{"start", "end"}``, or null when none is set."""
        if change.window_start is None:
            return None
        return ImplementationWindowSerializer({"start": change.window_start, "end": change.window_end}).data


class ChangeIncidentLinkSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="incident.reference")
    title = serializers.CharField(source="incident.title")
    status = serializers.CharField(source="incident.status")
    linked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    linked_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ChangeIncidentLink
        fields = ["id", "title", "status", "relation", "linked_by", "linked_at"]
        read_only_fields = fields


class ChangeDetailSerializer(ChangeSerializer):
    approver = _username()
    rejected_by = _username()
    implemented_by = _username()
    closed_by = _username()
    articles = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    incidents = serializers.SerializerMethodField()

    class Meta(ChangeSerializer.Meta):
        fields = [
            *ChangeSerializer.Meta.fields, "description", "rollback_plan", "approver", "approval_comment",
            "rejected_by", "rejection_reason", "rejected_at", "implemented_by", "implementation_note",
            "failure_reason", "closure_note", "closed_by", "articles", "incidents",
        ]  # fmt: skip
        read_only_fields = fields

    def get_incidents(self, change) -> list[dict]:
        """The incidents linked to the change that the caller may see, each with its relation."""
        links = visible_incident_links(self.context["request"].user, change)
        return ChangeIncidentLinkSerializer(links, many=True).data


# ---- input ------------------------------------------------------------------------------
class ChangeVersionedSerializer(StrictInputSerializer):
    """Every action accepts ``version``: the record's version when the client loaded it."""

    version = serializers.IntegerField(required=False, min_value=1)


class ImplementationWindowInputSerializer(StrictInputSerializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ChangeCreateSerializer(StrictInputSerializer):
    """The implementation window is either ``implementation_window: {"start", "end"}`` or the
    two fields ``window_start`` and ``window_end``; required for a normal change."""

    summary = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, default="")
    type = serializers.ChoiceField(choices=ChangeType.choices)
    risk = serializers.ChoiceField(choices=Risk.choices)
    incident = serializers.CharField(
        required=False, allow_null=True, help_text="INC-…: the incident it is for."
    )
    implementation_window = ImplementationWindowInputSerializer(required=False, allow_null=True)
    window_start = serializers.DateTimeField(required=False, allow_null=True)
    window_end = serializers.DateTimeField(required=False, allow_null=True)
    rollback_plan = serializers.CharField(allow_blank=True, default="")
    affected_services = serializers.ListField(child=serializers.CharField(max_length=20), default=list)
    articles = serializers.ListField(child=serializers.CharField(max_length=20), default=list)

    def validate(self, data):
        window = data.pop("implementation_window", None)
        if window is not None:
            if data.get("window_start") is not None or data.get("window_end") is not None:
                raise serializers.ValidationError(
                    {
                        "implementation_window": [
                            "Give implementation_window or window_start/window_end, not both."
                        ]
                    }
                )
            data["window_start"], data["window_end"] = window["start"], window["end"]
        return data


class ChangeApproveSerializer(ChangeVersionedSerializer):
    comment = serializers.CharField(allow_blank=True, default="")


class ChangeRejectSerializer(ChangeVersionedSerializer):
    reason = serializers.CharField()


class ChangeImplementSerializer(ChangeVersionedSerializer):
    note = serializers.CharField(allow_blank=True, default="")


class ChangeCloseSerializer(ChangeVersionedSerializer):
    success = serializers.BooleanField()
    failure_reason = serializers.CharField(allow_blank=True, default="")
    note = serializers.CharField(allow_blank=True, default="")


class LinkChangeSerializer(ChangeVersionedSerializer):
    """``version`` is the incident's."""

    change = serializers.CharField(max_length=20)
    relation = serializers.ChoiceField(choices=LinkRelation.choices, default=LinkRelation.FIXES)
