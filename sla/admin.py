from django.contrib import admin
from django.forms import BaseInlineFormSet

from core.admin import RoleGatedAdmin, RoleGatedInline
from sla.models import SlaEvent, SlaPolicy, SlaTarget
from sla.services import POLICY_EDITORS, sla_policy_current, sla_policy_publish


class TargetFormSet(BaseInlineFormSet):
    def save(self, commit=True):
        return []  # targets are written by sla_policy_publish (see SlaPolicyAdmin.save_related)


class SlaTargetInline(RoleGatedInline, admin.TabularInline):
    model = SlaTarget
    formset = TargetFormSet
    extra = 0
    can_delete = False

    edit_roles = POLICY_EDITORS

    def get_extra(self, request, obj=None, **kwargs):
        return 4 if obj is None else 0

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)  # published versions are immutable

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Publishing a version here goes through sla_policy_publish (validated, audited). The
    add form starts from the current version's targets."""

    list_display = ["version", "note", "created_by", "created_at"]
    readonly_fields = ["version", "created_by", "created_at"]
    fields = ["version", "note", "created_by", "created_at"]
    inlines = [SlaTargetInline]
    edit_roles = POLICY_EDITORS

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)  # versions are immutable

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        current = sla_policy_current()
        if obj is None and current is not None and request.method == "GET":
            kwargs["initial"] = [
                {
                    "priority": t.priority,
                    "acknowledge_minutes": t.acknowledge_minutes,
                    "resolve_minutes": t.resolve_minutes,
                    "update_every_minutes": t.update_every_minutes,
                    "clock": t.clock,
                }
                for t in current.targets.order_by("priority")
            ]
        return kwargs

    def save_model(self, request, obj, form, change):
        pass  # the policy is created in save_related, with its targets, by the service

    def save_related(self, request, form, formsets, change):
        targets = {}
        for formset in formsets:
            for row in formset.cleaned_data:
                if row and not row.get("DELETE"):
                    targets[row["priority"]] = {
                        k: row[k]
                        for k in ("acknowledge_minutes", "resolve_minutes", "update_every_minutes", "clock")
                    }
        policy = sla_policy_publish(
            actor=request.user, targets=targets, note=form.cleaned_data.get("note", "")
        )
        form.instance.pk, form.instance.version = policy.pk, policy.version


@admin.register(SlaEvent)
class SlaEventAdmin(RoleGatedAdmin, admin.ModelAdmin):
    list_display = ["subject_ref", "kind", "due_at", "occurred_at"]
    list_filter = ["kind"]
    search_fields = ["subject_ref"]

    edit_roles = ()  # written by the SLA engine only

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in SlaEvent._meta.fields]
