"""The knowledge base in the admin: articles and their versions are records, read-only here
(they change only through knowledge.services: the API and the KB pages); the secret
patterns are configuration, edited by administrators and incident managers, every change
audited."""

from django.contrib import admin

from audit.admin_audit import AuditedAdminMixin
from core.admin import RoleGatedAdmin
from core.roles import Role
from knowledge.models import Article, ArticleVersion, SecretPattern
from knowledge.search import SEARCH_FIELDS
from knowledge.selectors import articles_visible_to


class ArticleVersionInline(RoleGatedAdmin, admin.TabularInline):
    model = ArticleVersion
    fields = ["number", "title", "type", "author", "approved_by", "published_at"]
    readonly_fields = fields
    extra = 0
    edit_roles = ()
    show_change_link = True


@admin.register(Article)
class ArticleAdmin(RoleGatedAdmin, admin.ModelAdmin):
    list_display = ["reference", "title", "type", "status", "author", "published_number", "created_at"]
    list_filter = ["status", "type"]
    search_fields = ["reference", "title"]
    list_select_related = ["author"]
    ordering = ["-created_at"]
    exclude = list(SEARCH_FIELDS)
    inlines = [ArticleVersionInline]
    edit_roles = ()  # read-only: every change is a KB operation

    def get_queryset(self, request):
        return (super().get_queryset(request) & articles_visible_to(request.user)).defer(*SEARCH_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Article._meta.fields if f.name not in SEARCH_FIELDS] + ["incidents"]


@admin.register(ArticleVersion)
class ArticleVersionAdmin(RoleGatedAdmin, admin.ModelAdmin):
    list_display = ["article", "number", "title", "type", "author", "approved_by", "published_at"]
    list_select_related = ["article", "author", "approved_by"]
    search_fields = ["article__reference", "title"]
    edit_roles = ()  # a published version never changes

    def get_queryset(self, request):
        visible = articles_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(article__in=visible)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ArticleVersion._meta.fields]


@admin.register(SecretPattern)
class SecretPatternAdmin(AuditedAdminMixin, RoleGatedAdmin, admin.ModelAdmin):
    """What an article may not hold; deactivated rather than deleted, each change audited."""

    list_display = ["name", "looks_like", "regex", "active", "updated_at"]
    list_filter = ["active"]
    search_fields = ["name", "regex"]
    fields = ["name", "looks_like", "regex", "active"]
    edit_roles = (Role.ADMIN, Role.INCIDENT_MANAGER)
    audit_ref_type = "secretpattern"

    def audit_ref(self, obj) -> str:
        return f"secret pattern {obj.name}"
