from rest_framework.permissions import BasePermission

from core.roles import STAFF_ROLES, Role, has_any_role


def roles_allowed(*roles: str) -> type[BasePermission]:
    """A permission class that admits users holding any of ``roles``."""

    class HasRole(BasePermission):
        message = "Your role may not do this. Required: " + ", ".join(sorted(map(str, roles))) + "."

        def has_permission(self, request, view):
            return has_any_role(request.user, *roles)

    HasRole.__name__ = "HasRole_" + "_".join(sorted(map(str, roles)))
    return HasRole


IsStaffRole = roles_allowed(*STAFF_ROLES)
IsAuditReader = roles_allowed(Role.AUDITOR, Role.INCIDENT_MANAGER, Role.ADMIN)
