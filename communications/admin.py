from django.contrib import admin
from django.db import models

from audit.admin_audit import AuditedAdminMixin
from communications.models import Communication, Delivery, WebhookEndpoint
from core.admin import RoleGatedAdmin


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ["channel", "address", "status", "attempts", "next_attempt_at", "last_error", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Communication)
class CommunicationAdmin(admin.ModelAdmin):
    list_display = ["reference", "subject_ref", "kind", "channel", "delivery_status", "created_at"]
    list_filter = ["kind", "channel", "delivery_status"]
    search_fields = ["reference", "subject_ref", "message"]
    inlines = [DeliveryInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Communication._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """The outbox, read-only: the drain alone writes it."""

    list_display = ["communication", "channel", "address", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "channel"]
    search_fields = ["address", "dedup_key", "communication__reference"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditedAdminMixin, RoleGatedAdmin, admin.ModelAdmin):
    """Where webhook communications are posted; each save is audited (the secret as changed only)."""

    audit_ref_type = "webhook_endpoint"
    view_roles = ()  # the secrets are on the page: administrators only
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "url", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
