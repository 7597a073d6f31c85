"""Admin for accounts, teams and tokens. Every change made here is audited in the admin's
own transaction (users' roles and flags, team members, tokens issued or revoked); nothing is
deleted: users are deactivated and tokens revoked, so the trail's actors stay resolvable."""

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import ApiToken, Team, User
from accounts.services import token_issue, token_revoke, token_update
from audit.admin_audit import AuditedAdminMixin
from audit.services import audit_record
from core.admin import RoleGatedAdmin
from core.roles import Role

# accounts are configured by administrators and read by auditors
ACCOUNT_READERS = (Role.AUDITOR,)


# Roles are groups fixed by policy (a data migration); they are granted on the user's page.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, RoleGatedAdmin, DjangoUserAdmin):
    view_roles = ACCOUNT_READERS
    audit_ref_type = "user"
    audit_renames = {"groups": "roles"}
    list_display = ["username", "email", "first_name", "last_name", "is_active", "roles"]
    list_filter = ["groups", "teams", "is_active"]

    @admin.display(description="roles")
    def roles(self, obj):
        return ", ".join(g.name for g in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def has_change_permission(self, request, obj=None):
        # an administrator by role may not take over a superuser (password, roles, flags)
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        # Django's own superuser flag and per-user permissions are a superuser's to give
        if request.user.is_superuser:
            return ()
        return ("is_superuser", "user_permissions")

    def audit_ref(self, obj) -> str:
        return obj.username

    def user_change_password(self, request, id, form_url=""):
        # Django's view saves and logs outside a transaction; ours audits in the same one.
        request._ims_password_view = True
        with transaction.atomic():
            return super().user_change_password(request, id, form_url)

    def log_change(self, request, obj, message):
        if getattr(request, "_ims_password_view", False):
            audit_record(
                action="update",
                obj=obj,
                ref=obj.username,
                ref_type="user",
                actor=request.user,
                changes={
                    "password": ["(hidden)", "(changed)" if obj.has_usable_password() else "(disabled)"]
                },
            )
        return super().log_change(request, obj, message)


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, RoleGatedAdmin, admin.ModelAdmin):
    view_roles = ACCOUNT_READERS
    audit_ref_type = "team"
    list_display = ["code", "name", "email"]
    filter_horizontal = ["members"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False  # the team codes are fixed by policy (SPEC.md)


@admin.register(ApiToken)
class ApiTokenAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Tokens are issued here: the key is shown once, in the confirmation message. They are
    revoked, never deleted."""

    list_display = [
        "prefix", "user", "name", "scope", "created_at", "last_used_at", "expires_at", "revoked_at"
    ]  # fmt: skip
    list_filter = ["scope", "revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["user", "name", "scope", "expires_at", "revoked_at", "prefix", "created_at", "last_used_at"]
    view_roles = ACCOUNT_READERS
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "scope" in form.base_fields:  # left out: a full token, as before scopes existed
            form.base_fields["scope"].required = False
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return [*self.readonly_fields, "revoked_at"]
        if obj.revoked_at is not None:  # a revoked token stays revoked: issue a new one
            return [*self.readonly_fields, "user", "name", "scope", "expires_at", "revoked_at"]
        return [*self.readonly_fields, "user", "name", "scope"]

    def save_model(self, request, obj, form, change):
        if change:
            changes = {
                name: [form.initial.get(name), form.cleaned_data.get(name)] for name in form.changed_data
            }
            if changes:
                token_update(token=obj, actor=request.user, changes=changes)
            return
        token, key = token_issue(
            user=obj.user,
            name=obj.name,
            actor=request.user,
            expires_at=obj.expires_at,
            scope=obj.scope or "full",
        )
        obj.pk = token.pk
        messages.warning(
            request,
            f"Token for {obj.user}: {key} — copy it now; only its hash is stored.",
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user" and not request.user.is_superuser:
            # a token acts as its user: only a superuser may issue one for a superuser
            field.queryset = field.queryset.filter(is_superuser=False)
        return field

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = sum(token_revoke(token=token, actor=request.user) for token in queryset)
        messages.success(request, f"Revoked {revoked} token(s).")


@admin.register(AccessAttempt)
class LoginLockoutAdmin(RoleGatedAdmin, admin.ModelAdmin):
    """Failed sign-ins being counted (django-axes), read-only: a pair at the limit is
    locked out until its cool-off ends or `manage.py axes_reset_username` clears it."""

    view_roles = (Role.ADMIN, *ACCOUNT_READERS)
    edit_roles = ()
    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "path_info"]
    search_fields = ["username", "ip_address"]
    fields = ["username", "ip_address", "failures_since_start", "attempt_time", "path_info", "user_agent"]
    readonly_fields = fields
