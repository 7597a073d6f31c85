from django.core.management.base import BaseCommand, CommandError

from accounts.services import token_issue, user_provision
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create an API user (or update its roles) and print a new token on the last line. "
        "Example: create_api_user nagios --role service_desk --team service_desk"
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="username")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            dest="roles",
            help="a role of SPEC.md; repeat for several",
        )
        parser.add_argument(
            "--team",
            action="append",
            default=[],
            dest="teams",
            help="a team code (service_desk, L1, …); repeat for several",
        )
        parser.add_argument("--token-name", default="cli", help="a label for the token")

    def handle(self, *args, name, roles, teams, token_name, **options):
        try:
            user, created = user_provision(username=name, roles=roles, teams=teams)
            _, key = token_issue(user=user, name=token_name)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} user {user.username} with roles {', '.join(sorted(roles))}"
            + (f" in teams {', '.join(sorted(teams))}" if teams else "")
        )
        self.stdout.write(key)
