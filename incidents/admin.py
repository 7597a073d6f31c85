from django.contrib import admin, messages

from core.admin import RoleGatedAdmin
from core.errors import DomainError
from incidents import services
from incidents.models import Incident, VendorEngagement
from incidents.selectors import incidents_visible_to


@admin.register(Incident)
class IncidentAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Incidents are read-only here: status and every governed field change only through
    the SOP services (the API and the desk); the admin offers the escalation action."""

    list_display = ["reference", "title", "status", "priority", "category", "assigned_team", "assignee",
                    "created_at"]  # fmt: skip
    list_filter = ["status", "priority", "category", "detection_source", "assigned_team"]
    search_fields = ["reference", "title"]
    list_select_related = ["assigned_team", "assignee"]
    ordering = ["-created_at"]
    actions = ["escalate_to_incident_manager"]
    edit_roles = ()  # read-only: every change is an SOP service

    def get_queryset(self, request):
        # the same visibility as the API and the desk (security incidents included)
        return super().get_queryset(request) & incidents_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Incident._meta.fields]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        services.incidents_record_list_read(incidents=changelist.result_list, actor=request.user, via="admin")
        return changelist

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        incident = self.get_object(request, object_id)
        if incident is not None and response.status_code == 200:
            services.incident_record_read(incident=incident, actor=request.user)
        return response

    @admin.action(description="Escalate to the incident manager")
    def escalate_to_incident_manager(self, request, queryset):
        done = 0
        for incident in queryset:
            try:
                services.incident_escalate(
                    incident=incident.reference,
                    actor=request.user,
                    target="incident_manager",
                    reason="Escalated from the admin.",
                )
                done += 1
            except DomainError as exc:
                messages.error(request, exc.message)
        if done:
            messages.success(request, f"Escalated {done} incident(s).")


@admin.register(VendorEngagement)
class VendorEngagementAdmin(RoleGatedAdmin, admin.ModelAdmin):
    list_display = ["reference", "incident", "vendor", "contact_method", "engaged_at", "responded_at"]
    list_select_related = ["incident", "vendor"]
    edit_roles = ()

    def get_queryset(self, request):
        return super().get_queryset(request).filter(incident__in=incidents_visible_to(request.user))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in VendorEngagement._meta.fields]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        services.incidents_record_list_read(
            incidents=[engagement.incident for engagement in changelist.result_list],
            actor=request.user,
            via="admin",
        )
        return changelist

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        engagement = self.get_object(request, object_id)
        if engagement is not None and response.status_code == 200:
            services.incident_record_read(incident=engagement.incident, actor=request.user)
        return response
