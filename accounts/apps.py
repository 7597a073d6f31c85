from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users, roles, teams and tokens"

    def ready(self):
        from axes.signals import user_locked_out

        from accounts import schema  # noqa: F401 - registers the OpenAPI auth scheme
        from accounts.lockout import audit_lockout

        user_locked_out.connect(audit_lockout, dispatch_uid="accounts.audit_lockout")
