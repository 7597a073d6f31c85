import re

from django.core.management.base import BaseCommand, CommandError

# The trail and its checkpoints: the application may add and read, never change or remove,
# so even a compromised application cannot rewrite history (the triggers stop mistakes;
# the missing privilege stops the role outright).
APPEND_ONLY_TABLES = "audit_auditevent, audit_auditcheckpoint"

SQL = """\
-- IMS application role {role}: what the web, worker and beat processes need on IMS's tables,
-- and only INSERT and SELECT on the audit trail and its checkpoints. Run as the owner of the
-- tables (the role that runs migrate), after every release's migrations. Create the role
-- first: CREATE ROLE {role} LOGIN PASSWORD '...';
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
REVOKE ALL ON {tables} FROM {role};
GRANT SELECT, INSERT ON {tables} TO {role};
"""


def app_role_sql(role: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise CommandError(f"{role!r} is not a role name IMS prints SQL for: lower-case letters, digits, _.")
    return SQL.format(role=f'"{role}"', tables=APPEND_ONLY_TABLES)


class Command(BaseCommand):
    help = (
        "Print the SQL that gives an application role only INSERT and SELECT on the audit trail "
        "and its checkpoints (and what it needs elsewhere)."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the application's PostgreSQL role, e.g. ims_app")

    def handle(self, *args, role, **options):
        self.stdout.write(app_role_sql(role), ending="")
