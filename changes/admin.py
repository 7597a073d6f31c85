from django.contrib import admin

from changes.models import Change, ChangeIncidentLink
from core.admin import RoleGatedAdmin


class IncidentLinkInline(RoleGatedAdmin, admin.TabularInline):
    model = ChangeIncidentLink
    fields = ["incident", "relation", "linked_by", "created_at"]
    readonly_fields = fields
    extra = 0
    edit_roles = ()


@admin.register(Change)
class ChangeAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Changes are read-only here: every move is a change service (the API and the change
    pages), audited."""

    list_display = [
        "reference",
        "summary",
        "type",
        "risk",
        "status",
        "requester",
        "cab_bypassed",
        "created_at",
    ]
    list_filter = ["status", "type", "risk", "cab_bypassed"]
    search_fields = ["reference", "summary"]
    list_select_related = ["requester"]
    ordering = ["-created_at"]
    inlines = [IncidentLinkInline]
    edit_roles = ()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Change._meta.fields] + ["affected_services", "articles"]
