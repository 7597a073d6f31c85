from core.roles import STAFF_ROLES, Role, user_roles


def roles(request):
    held = user_roles(getattr(request, "user", None))
    return {
        "user_roles": sorted(Role(r).label for r in held),
        "user_role_names": held,
        "is_staff_role": bool(held & STAFF_ROLES),
        "reads_audit": bool(held & {Role.AUDITOR, Role.INCIDENT_MANAGER, Role.ADMIN}),
    }
