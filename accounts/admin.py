"""Admin for accounts, teams and tokens. Every change made here is audited in the admin's
own transaction (users' roles and flags, team members, tokens issued or revoked); nothing is
deleted: users are deactivated and tokens revoked, so the trail's actors stay resolvable."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction

from accounts.models import ApiToken, Team, User
from accounts.services import form_changes, token_issue, token_revoke
from audit.services import audit_record


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_active", "roles"]
    list_filter = ["groups", "teams", "is_active"]

    @admin.display(description="roles")
    def roles(self, obj):
        return ", ".join(g.name for g in obj.groups.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: incidents and the audit trail refer to users

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changes = form_changes(form, renames={"groups": "roles"})
        if changes or not change:
            audit_record(
                action="update" if change else "create",
                obj=form.instance,
                ref=form.instance.username,
                ref_type="user",
                actor=request.user,
                changes=changes,
            )

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
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "email"]
    filter_horizontal = ["members"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False  # the team codes are fixed by policy (SPEC.md)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changes = form_changes(form)
        if changes:
            audit_record(
                action="update",
                obj=form.instance,
                ref=form.instance.code,
                ref_type="team",
                actor=request.user,
                changes=changes,
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued here: the key is shown once, in the confirmation message. They are
    revoked, never deleted."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["user", "name", "expires_at", "revoked_at", "prefix", "created_at", "last_used_at"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "user", "name"]
        return [*self.readonly_fields, "revoked_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            changes = form_changes(form)
            if changes:
                audit_record(
                    action="update",
                    obj=obj,
                    ref=obj.user.username,
                    ref_type="api_token",
                    actor=request.user,
                    changes={**changes, "token": [None, str(obj)]},
                )
            return
        token, key = token_issue(user=obj.user, name=obj.name, actor=request.user, expires_at=obj.expires_at)
        obj.pk = token.pk
        messages.warning(
            request,
            f"Token for {obj.user}: {key} — copy it now; only its hash is stored.",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = sum(token_revoke(token=token, actor=request.user) for token in queryset)
        messages.success(request, f"Revoked {revoked} token(s).")
