from datetime import datetime

from rest_framework import serializers

from communications.models import Channel, Communication
from core.api.serializers import StrictInputSerializer, governed_by
from incidents.choices import (
    AssignmentTeam,
    Category,
    ContactMethod,
    DetectionSource,
    EscalationTarget,
    Level,
    Priority,
    priority_for,
)
from incidents.models import Incident, VendorEngagement
from incidents.selectors import WORK_NOTE_FIELDS, sees_work_notes
from incidents.sla import sla_state

_datetime = serializers.DateTimeField()


def _render_times(value):
    if isinstance(value, dict):
        return {k: _render_times(v) for k, v in value.items()}
    if hasattr(value, "isoformat") and hasattr(value, "tzinfo"):
        return _datetime.to_representation(value)
    return value


_username = serializers.SlugRelatedField(slug_field="username", read_only=True)


class IncidentSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference", read_only=True)
    reporter = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    incident_commander = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    communications_lead = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    technical_lead = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    affected_service = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    assigned_team = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    escalation_target = serializers.ChoiceField(
        choices=EscalationTarget.choices, allow_blank=True, read_only=True
    )  # "" until the first escalation
    matrix_priority = serializers.SerializerMethodField()
    is_major = serializers.BooleanField(read_only=True)
    grace_period_ends_at = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "title", "description", "status", "version", "detection_source", "category",
            "subcategory", "impact", "urgency", "priority", "matrix_priority", "priority_justification",
            "is_major", "reporter", "affected_service", "assigned_team", "assignee",
            "escalation_target", "escalation_reason", "escalation_count", "diagnosis", "workaround",
            "has_workaround", "resolution_summary", "service_restored", "closure_notes", "reopen_count",
            "incident_commander", "communications_lead", "technical_lead", "is_personal_data_breach",
            "breach_notification_due_at", "detected_at", "logged_at", "acknowledged_at", "escalated_at",
            "resolved_at", "closed_at", "grace_period_ends_at", "last_stakeholder_update_at",
            "sla", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not sees_work_notes(request.user):
            for field in WORK_NOTE_FIELDS:
                data.pop(field, None)
        return data

    def get_sla(self, obj) -> dict:
        state = sla_state(obj, self.context.get("now"))
        return _render_times(state)

    def get_matrix_priority(self, obj) -> str:
        return priority_for(obj.impact, obj.urgency)

    def get_grace_period_ends_at(self, obj) -> datetime | None:
        ends = obj.grace_period_ends_at
        return _datetime.to_representation(ends) if ends else None


# what a list row leaves to the detail: the major-incident roles (so the list query joins
# only what it shows) and the long texts (a page of 200 rows came to 17.7 MB)
LIST_LEAVES_OUT = ("incident_commander", "communications_lead", "technical_lead", "description", "diagnosis",
                   "workaround", "resolution_summary", "closure_notes", "escalation_reason",
                   "priority_justification")  # fmt: skip


class IncidentListSerializer(IncidentSerializer):
    """A list row: what a queue shows; the detail carries LIST_LEAVES_OUT."""

    class Meta(IncidentSerializer.Meta):
        fields = [f for f in IncidentSerializer.Meta.fields if f not in LIST_LEAVES_OUT]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    allowed_actions = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields

    def get_allowed_actions(self, obj) -> list[str]:
        from incidents.actions import allowed_actions

        return allowed_actions(self.context["request"].user, obj)


class DuplicateSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference")

    class Meta:
        model = Incident
        fields = ["id", "title", "status", "created_at"]


class IncidentCreateSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices, default=Category.OTHER)
    subcategory = serializers.CharField(max_length=100, allow_blank=True, default="")
    impact = serializers.ChoiceField(choices=Level.choices)
    urgency = serializers.ChoiceField(choices=Level.choices)
    affected_service = serializers.CharField(max_length=20)
    detection_source = serializers.ChoiceField(choices=DetectionSource.choices, default="user_report")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_null=True)
    priority_justification = serializers.CharField(allow_blank=True, default="")
    reporter = serializers.CharField(required=False, allow_null=True)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    is_personal_data_breach = serializers.BooleanField(default=False)


class VersionedSerializer(StrictInputSerializer):
    """Every action accepts ``version``: the record's version when the client loaded it."""

    version = serializers.IntegerField(required=False, min_value=1)


# The incident's fields that an action sets: a PATCH naming one is told which action.
GOVERNED_BY_ACTION = governed_by(
    {
        "log/": (
            "description", "affected_service", "diagnosis", "workaround", "has_workaround",
            "is_personal_data_breach",
        ),
        "categorize/": ("category",),
        "prioritize/": ("priority", "impact", "urgency", "priority_justification", "matrix_priority"),
        "assign/": ("assigned_team", "assignee"),
        "escalate/": ("escalation_target", "escalation_reason"),
        "resolve/": ("resolution_summary", "service_restored"),
        "close/": ("closure_notes",),
        "major-roles/": ("incident_commander", "communications_lead", "technical_lead"),
    }
)  # fmt: skip


class IncidentEditSerializer(VersionedSerializer):
    title = serializers.CharField(max_length=200, required=False)
    subcategory = serializers.CharField(max_length=100, required=False, allow_blank=True)

    governed_fields = {
        **{field: "Read-only; IMS sets it." for field in IncidentDetailSerializer.Meta.fields},
        "status": "Read-only; use an action.",
        **GOVERNED_BY_ACTION,
    }


class LogSerializer(VersionedSerializer):
    description = serializers.CharField(required=False, allow_blank=True)
    affected_service = serializers.CharField(required=False)
    diagnosis = serializers.CharField(required=False, allow_blank=True)
    workaround = serializers.CharField(required=False, allow_blank=True)
    is_personal_data_breach = serializers.BooleanField(required=False)


class CategorizeSerializer(VersionedSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    subcategory = serializers.CharField(max_length=100, required=False, allow_blank=True)


class PrioritizeSerializer(VersionedSerializer):
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    justification = serializers.CharField()


class AssignSerializer(VersionedSerializer):
    team = serializers.ChoiceField(choices=AssignmentTeam.choices)
    assignee = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class DiagnoseSerializer(VersionedSerializer):
    steps = serializers.CharField()
    workaround = serializers.CharField(required=False, allow_blank=True)


class EscalateSerializer(VersionedSerializer):
    target = serializers.ChoiceField(choices=EscalationTarget.choices)
    reason = serializers.CharField()


class EngageVendorSerializer(VersionedSerializer):
    vendor = serializers.CharField()
    contact_method = serializers.ChoiceField(choices=ContactMethod.choices)
    vendor_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class NoteSerializer(VersionedSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ResolveSerializer(VersionedSerializer):
    resolution_summary = serializers.CharField()
    service_restored = serializers.BooleanField()


class CommunicateSerializer(VersionedSerializer):
    recipients = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    message = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.IMS)


class CommentSerializer(VersionedSerializer):
    message = serializers.CharField(max_length=4000)


class ReopenSerializer(VersionedSerializer):
    reason = serializers.CharField()


class CloseSerializer(VersionedSerializer):
    closure_notes = serializers.CharField()


class MajorRolesSerializer(VersionedSerializer):
    incident_commander = serializers.CharField(required=False)
    communications_lead = serializers.CharField(required=False)
    technical_lead = serializers.CharField(required=False)


class VendorEngagementSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference")
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    vendor = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    engaged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = VendorEngagement
        fields = ["id", "incident", "vendor", "contact_method", "vendor_reference", "engaged_by",
                  "engaged_at", "responded_at", "response_note", "created_at", "updated_at"]  # fmt: skip


class CommunicationSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference")
    subject = serializers.CharField(source="subject_ref")
    sender = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Communication
        fields = ["id", "subject", "kind", "recipients", "recipient_detail", "channel", "message",
                  "sender", "delivery_status", "created_at", "updated_at"]  # fmt: skip
