"""The admin site answers to IMS roles (SPEC.md), not to Django's per-model permissions:
the roles are the only grant IMS hands out, so an administrator made by
``create_api_user --role admin`` can use the admin without also being made a superuser."""

from datetime import date, datetime, time

from django.contrib import admin
from django.db import models

from audit.services import audit_record
from core.roles import Role, has_any_role

# who may open the admin at all; each page narrows it further
ADMIN_SITE_ROLES = (Role.ADMIN, Role.INCIDENT_MANAGER, Role.AUDITOR)


def may_use_admin(user) -> bool:
    return bool(user.is_active and (user.is_staff or has_any_role(user, *ADMIN_SITE_ROLES)))


class IMSAdminSite(admin.AdminSite):
    site_header = "IMS administration"
    site_title = "IMS admin"
    index_title = "Configuration and records"

    def has_permission(self, request):
        return may_use_admin(request.user)


class RoleGatedAdmin:
    """Mixin for ModelAdmins: ``view_roles`` may read the pages, ``edit_roles`` add and
    change; nothing is deleted from the admin (records are deactivated, revoked or
    superseded, so the audit trail's references stay whole)."""

    view_roles: tuple = ADMIN_SITE_ROLES
    edit_roles: tuple = (Role.ADMIN,)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return has_any_role(request.user, *self.view_roles, *self.edit_roles)

    def has_add_permission(self, request, *args):
        return has_any_role(request.user, *self.edit_roles)

    def has_change_permission(self, request, obj=None):
        return has_any_role(request.user, *self.edit_roles)

    def has_delete_permission(self, request, obj=None):
        return False


class RoleGatedInline(RoleGatedAdmin):
    """The same gate for inline rows, which editors may also remove (audited with their
    parent, see AuditedAdminMixin)."""

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


# Form fields whose values never reach the trail: only the fact that they changed.
_SECRET_FIELDS = frozenset({"password", "password1", "password2", "usable_password", "set_usable_password"})


def _delta_value(value):
    if isinstance(value, (models.QuerySet, list, tuple, set)):
        return sorted(str(v) for v in value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


def form_changes(form, *, renames: dict[str, str] | None = None) -> dict:
    """The minimal delta ``{field: [old, new]}`` of a submitted admin form, for the trail.

    Secrets (passwords) are recorded as changed, never with their values.
    """
    changes = {}
    for name in form.changed_data:
        if name in _SECRET_FIELDS:
            changes["password"] = ["(hidden)", "(changed)"]
            continue
        key = (renames or {}).get(name, name)
        changes[key] = [_delta_value(form.initial.get(name)), _delta_value(form.cleaned_data.get(name))]
    return changes


def _inline_rows(formset, parent) -> list[dict]:
    fk = formset.fk.name
    skip = {"id", fk, "created_at", "updated_at"}
    fields = [f.name for f in formset.model._meta.concrete_fields if f.name not in skip]
    if parent.pk is None:
        return []
    rows = formset.model._default_manager.filter(**{fk: parent}).values(*fields)
    return sorted(({k: _delta_value(v) for k, v in row.items()} for row in rows), key=str)


class AuditedAdminMixin:
    """One audit event per admin save of a configuration record: the delta of its form
    (unless a service already audited it: ``audit_main_form = False``) and of its inline
    rows, as ``{"<rows>": [before, after]}``. Written in the admin's own transaction."""

    audit_ref_type: str = ""
    audit_main_form = True
    audit_renames: dict[str, str] = {}  # form field → name in the trail

    def audit_ref(self, obj) -> str:
        return getattr(obj, "reference", None) or str(obj)

    def save_related(self, request, form, formsets, change):
        def label(formset):
            return str(formset.model._meta.verbose_name_plural).replace(" ", "_")

        before = {label(fs): _inline_rows(fs, form.instance) for fs in formsets} if change else {}
        super().save_related(request, form, formsets, change)
        changes = form_changes(form, renames=self.audit_renames) if self.audit_main_form else {}
        for formset in formsets:
            after = _inline_rows(formset, form.instance)
            if after != before.get(label(formset), []):
                changes[label(formset)] = [before.get(label(formset), []), after]
        if changes or (self.audit_main_form and not change):
            audit_record(
                action="create" if self.audit_main_form and not change else "update",
                obj=form.instance,
                ref=self.audit_ref(form.instance),
                ref_type=self.audit_ref_type or form.instance._meta.model_name,
                actor=request.user,
                changes=changes,
            )
