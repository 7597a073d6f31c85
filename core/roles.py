"""Roles of SPEC.md. Each is a Django group created by accounts' data migration."""

from django.db import models


class Role(models.TextChoices):
    END_USER = "end_user", "End user"
    SERVICE_DESK = "service_desk", "Service desk analyst"
    L1 = "l1", "L1 engineer"
    L2 = "l2", "L2 engineer"
    L3 = "l3", "L3 engineer"
    DEVOPS = "devops", "DevOps engineer"
    FACILITIES = "facilities", "Facilities"
    SERVICE_DESK_MANAGER = "service_desk_manager", "Service desk manager"
    CHANGE_MANAGER = "change_manager", "Change manager (CAB)"
    INCIDENT_MANAGER = "incident_manager", "Incident manager"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"


ALL_ROLES = frozenset(Role)
RESOLVER_ROLES = frozenset({Role.L1, Role.L2, Role.L3, Role.DEVOPS, Role.FACILITIES})
STAFF_ROLES = ALL_ROLES - {Role.END_USER}


def user_roles(user) -> frozenset[str]:
    """The role names a user holds, read once per user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_ims_roles", None)
    if cached is None:
        names = user.groups.filter(name__in=[r.value for r in Role]).values_list("name", flat=True)
        cached = frozenset(names) | ({Role.ADMIN.value} if user.is_superuser else frozenset())
        user._ims_roles = cached
    return cached


def has_any_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & {str(r) for r in roles})
