from core.roles import Role, user_roles


def roles(request):
    held = user_roles(getattr(request, "user", None))
    return {"user_roles": sorted(Role(r).label for r in held), "user_role_names": held}
