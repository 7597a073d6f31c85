from django.contrib import admin, messages
from django.db import models

from audit.admin_audit import AuditedAdminMixin
from catalog import services
from catalog.models import BusinessCalendar, CalendarClosure, Service, Vendor, VendorContact
from core.admin import RoleGatedAdmin, RoleGatedInline
from core.errors import DomainError


class CatalogEditorMixin(RoleGatedAdmin):
    """Admin pages of the catalog write through catalog.services (audited, authorized);
    rows are deactivated, never deleted: incidents refer to them."""

    edit_roles = tuple(services.CATALOG_EDITORS)


@admin.register(Service)
class ServiceAdmin(CatalogEditorMixin, admin.ModelAdmin):
    list_display = ["reference", "name", "criticality", "owner_team", "calendar", "is_active"]
    list_filter = ["criticality", "owner_team", "is_active"]
    search_fields = ["reference", "name"]
    filter_horizontal = ["depends_on"]
    readonly_fields = ["reference", "created_at", "updated_at"]
    fields = [
        "reference",
        "name",
        "description",
        "criticality",
        "owner_team",
        "calendar",
        "depends_on",
        "is_active",
        "created_at",
        "updated_at",
    ]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        kwargs = {
            "name": data["name"],
            "description": data.get("description", ""),
            "criticality": data["criticality"],
            "owner_team": data["owner_team"].code if data.get("owner_team") else None,
            "calendar": data["calendar"].name if data.get("calendar") else None,
            "depends_on": [s.reference for s in data.get("depends_on", [])],
        }
        try:
            if change:
                saved = services.service_update(
                    actor=request.user, service=obj, is_active=data["is_active"], **kwargs
                )
            else:
                saved = services.service_create(actor=request.user, **kwargs)
        except DomainError as exc:
            messages.error(request, exc.message)
            raise
        obj.pk, obj.reference = saved.pk, saved.reference

    def save_related(self, request, form, formsets, change):
        pass  # dependencies were written by the service


class VendorContactInline(RoleGatedInline, admin.TabularInline):
    model = VendorContact
    extra = 1
    edit_roles = tuple(services.CATALOG_EDITORS)


@admin.register(Vendor)
class VendorAdmin(AuditedAdminMixin, CatalogEditorMixin, admin.ModelAdmin):
    list_display = ["reference", "name", "website", "is_active"]
    search_fields = ["reference", "name"]
    readonly_fields = ["reference", "created_at", "updated_at"]
    inlines = [VendorContactInline]
    # a vendor's site typed without a scheme is an https one
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    audit_main_form = False  # vendor_create / vendor_update audit the vendor; here, its contacts

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {k: data[k] for k in ("name", "website", "support_portal", "notes")}
        if change:
            saved = services.vendor_update(
                actor=request.user, vendor=obj, is_active=data["is_active"], **fields
            )
        else:
            saved = services.vendor_create(actor=request.user, **fields)
        obj.pk, obj.reference = saved.pk, saved.reference


class CalendarClosureInline(RoleGatedInline, admin.TabularInline):
    model = CalendarClosure
    extra = 1
    edit_roles = tuple(services.CATALOG_EDITORS)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdminMixin, CatalogEditorMixin, admin.ModelAdmin):
    """Calendars change SLA deadlines of new incidents: every edit, closures included, is
    audited (AuditedAdminMixin)."""

    inlines = [CalendarClosureInline]
    audit_ref_type = "calendar"
    list_display = ["name", "time_zone", "working_days", "day_start", "day_end", "holiday_country"]
