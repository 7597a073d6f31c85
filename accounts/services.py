"""Writers for users, roles and tokens."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Team, User
from audit.services import audit_record
from core.errors import validation_error
from core.roles import Role


def _check_username(username: str) -> None:
    """The admin's rules for a username: the model field's validators (Django's username
    validator: letters, digits and @/./+/-/_; at most 150 characters)."""
    field = User._meta.get_field(User.USERNAME_FIELD)
    try:
        field.run_validators(username)
    except DjangoValidationError as exc:
        reason = " ".join(exc.messages)
        raise validation_error(f"Invalid username {username!r}: {reason}", username=reason) from exc


def user_provision(
    *, username: str, roles: list[str], teams: list[str] | None = None, actor=None, email: str = ""
) -> tuple[User, bool]:
    """Create a user (or update its roles and teams) for scripts and provisioning.

    Roles replace the user's IMS roles; teams are added. Unknown names are refused.
    """
    if not username:
        raise validation_error("A username is required.", username="This field is required.")
    _check_username(username)
    unknown = sorted(set(roles) - {r.value for r in Role})
    if unknown:
        raise validation_error(
            f"Unknown role(s): {', '.join(unknown)}. Roles are: {', '.join(r.value for r in Role)}.",
            role=f"Unknown: {', '.join(unknown)}",
        )
    teams = teams or []
    with transaction.atomic():
        team_objects = list(Team.objects.filter(code__in=teams))
        missing = sorted(set(teams) - {t.code for t in team_objects})
        if missing:
            raise validation_error(
                f"Unknown team(s): {', '.join(missing)}. Teams are: "
                f"{', '.join(sorted(Team.objects.values_list('code', flat=True)))}.",
                team=f"Unknown: {', '.join(missing)}",
            )
        user, created = User.objects.select_for_update().get_or_create(
            username=username, defaults={"email": email}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        before_roles = sorted(
            user.groups.filter(name__in=[r.value for r in Role]).values_list("name", flat=True)
        )
        role_groups = list(Group.objects.filter(name__in=roles))
        user.groups.remove(*user.groups.filter(name__in=[r.value for r in Role]))
        user.groups.add(*role_groups)
        for team in team_objects:
            team.members.add(user)
        changes = {"roles": [before_roles, sorted(roles)]}
        if teams:
            changes["teams"] = [None, sorted(teams)]
        audit_record(
            action="create" if created else "update",
            obj=user,
            ref=user.username,
            ref_type="user",
            actor=actor,
            changes=changes,
        )
    return user, created


def token_issue(
    *, user: User, name: str = "default", actor=None, expires_at=None, scope: str = "full"
) -> tuple[ApiToken, str]:
    """Issue an API token for ``user``; returns the token row and its key, shown once."""
    with transaction.atomic():
        token, key = ApiToken.issue(user=user, name=name, expires_at=expires_at, scope=scope)
        changes = {"token": [None, f"{token.prefix}… ({name})"]}
        if scope != "full":
            changes["scope"] = [None, scope]
        if expires_at is not None:
            changes["expires_at"] = [None, expires_at.isoformat()]
        audit_record(
            action="create", obj=token, ref=user.username, ref_type="api_token", actor=actor, changes=changes
        )
    return token, key


def token_update(*, token: ApiToken, actor, changes: dict) -> ApiToken:
    """Set a token's expiry and revocation times as edited in the admin; ``changes`` is
    ``{field: [old, new]}`` for ``expires_at`` and ``revoked_at`` only. Audited."""
    unknown = set(changes) - {"expires_at", "revoked_at"}
    if unknown:
        raise validation_error(
            f"Only expires_at and revoked_at of a token can change; not {', '.join(sorted(unknown))}.",
            **{field: "Cannot be changed." for field in unknown},
        )
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        for field, (_, new) in changes.items():
            setattr(token, field, new)
        token.save(update_fields=[*changes, "updated_at"])
        audit_record(
            action="update",
            obj=token,
            ref=token.user.username,
            ref_type="api_token",
            actor=actor,
            changes={
                **{field: [_iso(old), _iso(new)] for field, (old, new) in changes.items()},
                "token": [None, str(token)],
            },
        )
    return token


def _iso(value):
    return value.isoformat() if value is not None else None


def token_revoke(*, token: ApiToken, actor) -> bool:
    """Revoke a token now; False if it already was (nothing written then)."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return False
        token_update(token=locked, actor=actor, changes={"revoked_at": [None, timezone.now()]})
    return True
