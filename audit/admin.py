from django.contrib import admin

from audit.models import AuditEvent
from core.admin import RoleGatedAdmin

# auditlog registers its own admin for the swapped model; ours is stricter.
if admin.site.is_registered(AuditEvent):
    admin.site.unregister(AuditEvent)


@admin.register(AuditEvent)
class AuditEventAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Read-only: the trail is append-only, in the admin as in the database."""

    list_display = ["seq", "timestamp", "domain_action", "ref_id", "actor_label"]
    list_filter = ["domain_action", "ref_type"]
    search_fields = ["ref_id", "actor_label"]
    ordering = ["-seq"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    edit_roles = ()  # nobody: written by the services, refused by the database otherwise
