from datetime import datetime

from django.db import models
from django.utils import timezone
from rest_framework import serializers

from communications.models import Channel, Communication, Delivery
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


def _iso(value: datetime, zone=None) -> str:
    """What DRF's DateTimeField renders an aware datetime as (ISO 8601 in the current time
    zone, ``zone`` if given, UTC as ``Z``), for the fast paths; settings.py keeps DRF's
    default format."""
    text = value.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _render_times(value, zone=None):
    if isinstance(value, dict):
        return {k: _render_times(v, zone) for k, v in value.items()}
    if isinstance(value, datetime):
        return _iso(value, zone)
    return value


_username = serializers.SlugRelatedField(slug_field="username", read_only=True)

# how IncidentSerializer's fields are read off an incident, for its fast to_representation
_RELATED_SLUG = {
    "reporter": "username", "assignee": "username", "incident_commander": "username",
    "communications_lead": "username", "technical_lead": "username",
    "affected_service": "reference", "assigned_team": "code",
}  # fmt: skip
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.BigAutoField)


def _renderer(serializer_class, name: str):
    """A function (serializer, incident, now) -> the value of field ``name``, as the DRF
    field declared for it renders it."""
    if name == "id":
        return lambda _s, obj, _now: obj.reference
    if name == "sla":
        return lambda s, obj, now: s.get_sla(obj, now)
    if name in _RELATED_SLUG:
        slug, field = _RELATED_SLUG[name], Incident._meta.get_field(name)

        def related(_s, obj, _now):
            pk = getattr(obj, field.attname)
            if pk is None:
                return None
            cached = field.get_cached_value(obj, None)
            if cached is None or cached.pk != pk:  # not read with the row: read it now
                if cached is not None:
                    field.delete_cached_value(obj)
                cached = getattr(obj, name)
            return getattr(cached, slug)

        return related
    method = getattr(serializer_class, f"get_{name}", None)
    if method is not None:
        return lambda s, obj, _now: method(s, obj)
    if name == "is_major":
        return lambda _s, obj, _now: bool(obj.is_major)
    model_field = Incident._meta.get_field(name)
    if isinstance(model_field, models.DateTimeField):
        return lambda s, obj, _now: _iso(value, s._zone) if (value := getattr(obj, name)) else None
    if isinstance(model_field, _AS_IS):
        if model_field.choices:  # DRF's ChoiceField gives the plain value of a choices enum
            return lambda _s, obj, _now: None if (v := getattr(obj, name)) is None else str(v)
        return lambda _s, obj, _now: getattr(obj, name)
    raise TypeError(f"no fast renderer for IncidentSerializer field {name!r}")


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
        """The row, field by field as DRF renders it (tests/incidents/test_api_rendering.py
        holds the two equal), without DRF's per-field machinery: a 50-row page spent 0.45 ms
        a row there. What is the same for every row (whether the viewer sees work notes,
        the time the SLA timers are read at) is decided once per page."""
        shared = self.context.setdefault(("_row", type(self)), {})
        if "fields" not in shared:
            request = self.context.get("request")
            hidden = WORK_NOTE_FIELDS if request is not None and not sees_work_notes(request.user) else ()
            shared["fields"] = [(n, f) for n, f in self._row_plan() if n not in hidden]
            shared["now"] = self.context.get("now") or timezone.now()
            shared["zone"] = timezone.get_current_timezone()
        now, self._zone = shared["now"], shared["zone"]
        return {name: render(self, instance, now) for name, render in shared["fields"]}

    @classmethod
    def _row_plan(cls) -> list:
        plan = cls.__dict__.get("_plan")
        if plan is None:
            plan = cls._plan = [(name, _renderer(cls, name)) for name in cls.Meta.fields]
        return plan

    _zone = None  # the time zone of a page's times, read once per page (to_representation)

    def get_sla(self, obj, now=None) -> dict:
        state = sla_state(obj, now or self.context.get("now"))
        return _render_times(state, self._zone)

    def get_matrix_priority(self, obj) -> str:
        return priority_for(obj.impact, obj.urgency)

    def get_grace_period_ends_at(self, obj) -> datetime | None:
        ends = obj.grace_period_ends_at
        return _iso(ends, self._zone) if ends else None


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


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["channel", "address", "status", "attempts", "last_error", "next_attempt_at", "sent_at"]


class CommunicationSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="reference")
    deliveries = DeliverySerializer(many=True, read_only=True)
    subject = serializers.CharField(source="subject_ref")
    sender = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Communication
        fields = ["id", "subject", "kind", "recipients", "recipient_detail", "channel", "message",
                  "sender", "delivery_status", "deliveries", "created_at", "updated_at"]  # fmt: skip

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("staff", True):  # a reporter: their own address, no failure reasons
            own = (getattr(self.context.get("viewer"), "email", "") or "").lower()
            data["deliveries"] = [{**d, "last_error": ""} for d in data["deliveries"] if d["address"] == own]
        return data
