"""The admin site answers to IMS roles (SPEC.md), not to Django's per-model permissions:
the roles are the only grant IMS hands out, so an administrator made by
``create_api_user --role admin`` can use the admin without also being made a superuser."""

from django.contrib import admin

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
