from django.contrib import admin
from django.contrib.admin.utils import unquote

from audit.api.views import query_filters
from audit.models import AuditEvent
from audit.services import audit_trail_read
from core.admin import RoleGatedAdmin

# auditlog registers its own admin for the swapped model; ours is stricter.
if admin.site.is_registered(AuditEvent):
    admin.site.unregister(AuditEvent)


@admin.register(AuditEvent)
class AuditEventAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Read-only: the trail is append-only, in the admin as in the database. Opening its
    list or one event is audited as a ``read``, like the API."""

    list_display = ["seq", "timestamp", "domain_action", "ref_id", "actor_label"]
    list_filter = ["domain_action", "ref_type"]
    search_fields = ["ref_id", "actor_label"]
    ordering = ["-seq"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    edit_roles = ()  # nobody: written by the services, refused by the database otherwise

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            audit_trail_read(actor=request.user, via="admin", filters=query_filters(request.GET))
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        event = self.get_object(request, unquote(object_id))
        if response.status_code == 200 and event is not None:
            audit_trail_read(actor=request.user, via="admin", event=event)
        return response
