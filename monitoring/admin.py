from django.contrib import admin

from audit.admin_audit import AuditedAdminMixin
from core.admin import RoleGatedAdmin
from core.roles import Role
from monitoring.models import Event, IncidentAlert, IntakeRule

READERS = (Role.ADMIN, Role.INCIDENT_MANAGER, Role.AUDITOR)


@admin.register(IntakeRule)
class IntakeRuleAdmin(AuditedAdminMixin, RoleGatedAdmin, admin.ModelAdmin):
    """Intake rules are data: admins and incident managers edit them, every save audited."""

    list_display = ["priority", "name", "is_active", "source", "service", "alert_type", "severity",
                    "opens_incident", "category", "impact", "urgency"]  # fmt: skip
    list_filter = ["is_active", "opens_incident", "severity", "source"]
    search_fields = ["name", "alert_type"]
    view_roles = READERS
    edit_roles = (Role.ADMIN, Role.INCIDENT_MANAGER)
    audit_ref_type = "intake_rule"

    def audit_ref(self, obj) -> str:
        return f"rule:{obj.name}"


class ReadOnlyAdmin(RoleGatedAdmin, admin.ModelAdmin):
    view_roles = READERS

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["reference", "received_at", "source", "service", "alert_type", "severity", "outcome",
                    "incident"]  # fmt: skip
    list_filter = ["source", "severity", "outcome"]
    search_fields = ["reference", "alert_type", "summary", "dedup_key", "event_id"]
    list_select_related = ["service", "incident"]


@admin.register(IncidentAlert)
class IncidentAlertAdmin(ReadOnlyAdmin):
    list_display = ["incident", "dedup_key", "count", "first_seen", "last_seen", "cleared_at"]
    search_fields = ["dedup_key", "incident__reference"]
    list_select_related = ["incident"]
