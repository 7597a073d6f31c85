"""The admin's audit of configuration records: one event per save of a form and its
inline rows (AuditedAdminMixin). Above ``core`` (whose admin gates pages by role) since it
writes the trail."""

from datetime import date, datetime, time

from django.db import models

from audit.services import audit_record

# Form fields whose values never reach the trail: only the fact that they changed.
_SECRET_FIELDS = frozenset(
    {"password", "password1", "password2", "usable_password", "set_usable_password", "secret"}
)


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
            changes["secret" if name == "secret" else "password"] = ["(hidden)", "(changed)"]
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
