from django.contrib import admin

from audit.admin_audit import AuditedAdminMixin
from core.admin import RoleGatedAdmin, RoleGatedInline
from core.roles import Role
from problems.models import Problem, ProblemIncident, ProblemPolicy
from problems.selectors import problems_visible_to


class ProblemIncidentInline(RoleGatedInline, admin.TabularInline):
    model = ProblemIncident
    extra = 0
    edit_roles = ()
    fields = readonly_fields = ["incident", "linked_by", "linked_at"]


@admin.register(Problem)
class ProblemAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Problems are read-only here: every change is an SOP 19 service (the API and the
    problem page)."""

    list_display = [
        "reference",
        "title",
        "status",
        "affected_service",
        "owner_team",
        "assignee",
        "created_at",
    ]
    list_filter = ["status", "owner_team"]
    search_fields = ["reference", "title"]
    list_select_related = ["affected_service", "owner_team", "assignee"]
    ordering = ["-created_at"]
    inlines = [ProblemIncidentInline]
    edit_roles = ()

    def get_queryset(self, request):
        return super().get_queryset(request) & problems_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Problem._meta.fields] + ["articles"]


@admin.register(ProblemPolicy)
class ProblemPolicyAdmin(AuditedAdminMixin, RoleGatedAdmin, admin.ModelAdmin):
    """The stability window a resolved problem waits out before it closes: edited by
    administrators and incident managers ("edit process policy", SPEC.md), each save
    audited with its delta. One row, never added twice nor deleted."""

    edit_roles = (Role.ADMIN, Role.INCIDENT_MANAGER)
    list_display = ["__str__", "stability_window_days", "updated_at"]
    readonly_fields = ["updated_at"]
    audit_ref_type = "problem_policy"

    def audit_ref(self, obj) -> str:
        return "problem-policy"

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not ProblemPolicy.objects.exists()
