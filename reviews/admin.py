from django.contrib import admin

from audit.admin_audit import AuditedAdminMixin
from core.admin import RoleGatedAdmin, RoleGatedInline
from core.roles import Role
from reviews.models import ActionItem, Review, ReviewPolicy
from reviews.selectors import reviews_visible_to


class ActionItemInline(RoleGatedInline, admin.TabularInline):
    model = ActionItem
    extra = 0
    can_delete = False
    edit_roles = ()  # written by reviews.services only
    fields = ["number", "description", "owner", "due_date", "status", "done_at", "chased_at"]
    readonly_fields = fields


@admin.register(Review)
class ReviewAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Reviews are read-only here: every change is a reviews.services operation."""

    list_display = [
        "reference",
        "incident",
        "status",
        "required_because",
        "author",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "required_because"]
    search_fields = ["reference", "incident__reference"]
    list_select_related = ["incident", "author"]
    inlines = [ActionItemInline]
    edit_roles = ()

    def get_queryset(self, request):
        # the same visibility as the API and the pages
        return super().get_queryset(request) & reviews_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Review._meta.fields] + ["kb_articles"]


@admin.register(ActionItem)
class ActionItemAdmin(RoleGatedAdmin, admin.ModelAdmin):
    list_display = ["review", "number", "owner", "due_date", "status", "chased_at"]
    list_filter = ["status"]
    search_fields = ["review__reference", "description"]
    list_select_related = ["review__incident", "owner"]
    edit_roles = ()

    def get_queryset(self, request):
        return super().get_queryset(request).filter(review__in=reviews_visible_to(request.user))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ActionItem._meta.fields]


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(AuditedAdminMixin, RoleGatedAdmin, admin.ModelAdmin):
    """The recurrence rule (process policy: incident managers and administrators edit it),
    each save audited with its delta."""

    list_display = ["__str__", "recurrence_count", "recurrence_window_days", "updated_at"]
    fields = ["recurrence_count", "recurrence_window_days", "updated_at"]
    readonly_fields = ["updated_at"]
    edit_roles = (Role.ADMIN, Role.INCIDENT_MANAGER)
    audit_ref_type = "review_policy"

    def audit_ref(self, obj) -> str:
        return "review-policy"

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not ReviewPolicy.objects.exists()
