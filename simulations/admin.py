from django.contrib import admin

from core.admin import RoleGatedAdmin, RoleGatedInline
from simulations.models import FollowUp, Inject, Simulation
from simulations.selectors import simulations_visible_to


class InjectInline(RoleGatedInline, admin.TabularInline):
    model = Inject
    extra = 0
    edit_roles = ()
    fields = readonly_fields = ["at", "description"]


class FollowUpInline(RoleGatedInline, admin.TabularInline):
    model = FollowUp
    extra = 0
    edit_roles = ()
    fields = readonly_fields = ["description", "owner"]


@admin.register(Simulation)
class SimulationAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Simulations are read-only here: every change is an SOP 18 service (API and pages)."""

    list_display = ["reference", "scenario", "status", "simulated_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["reference", "scenario"]
    list_select_related = ["simulated_by"]
    ordering = ["-created_at"]
    inlines = [InjectInline, FollowUpInline]
    edit_roles = ()

    def get_queryset(self, request):
        return super().get_queryset(request) & simulations_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Simulation._meta.fields] + ["participants"]
