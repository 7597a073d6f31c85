from django.contrib import admin

from core.admin import RoleGatedAdmin
from tooling.models import ToolUsage
from tooling.selectors import tool_usages_visible_to


@admin.register(ToolUsage)
class ToolUsageAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Tool usages are read-only here: each is recorded by the SOP 17 service (the API and
    the incident page)."""

    list_display = [
        "reference",
        "incident",
        "tool",
        "outcome",
        "executor",
        "automation_candidate",
        "created_at",
    ]
    list_filter = ["tool", "outcome", "automation_candidate"]
    search_fields = ["reference", "incident__reference", "action_summary"]
    list_select_related = ["incident", "executor"]
    ordering = ["-created_at"]
    edit_roles = ()

    def get_queryset(self, request):
        return super().get_queryset(request) & tool_usages_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ToolUsage._meta.fields]
