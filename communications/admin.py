from django.contrib import admin

from communications.models import Communication


@admin.register(Communication)
class CommunicationAdmin(admin.ModelAdmin):
    list_display = ["reference", "subject_ref", "kind", "channel", "delivery_status", "created_at"]
    list_filter = ["kind", "channel", "delivery_status"]
    search_fields = ["reference", "subject_ref", "message"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Communication._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
