from core.admin import may_use_admin
from core.navigation import nav_for
from core.roles import STAFF_ROLES, Role, user_roles


def roles(request):
    user = getattr(request, "user", None)
    held = user_roles(user)
    return {
        "user_roles": sorted(Role(r).label for r in held),
        "user_role_names": held,
        "is_staff_role": bool(held & STAFF_ROLES),
        "reads_audit": bool(held & {Role.AUDITOR, Role.INCIDENT_MANAGER, Role.ADMIN}),
        "nav_entries": nav_for(held),
        "uses_admin": user is not None and user.is_authenticated and may_use_admin(user),
    }
