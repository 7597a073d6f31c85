"""``manage.py create_api_user``: provisioning for scripts, a token on the last line."""

import hashlib
import io
import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken, Team, User
from audit.models import AuditEvent

SERVICES = "/api/v1/services/"
ALL_ROLES = (
    "end_user, service_desk, l1, l2, l3, devops, facilities, service_desk_manager, "
    "change_manager, incident_manager, auditor, admin"
)
ALL_TEAMS = "L1, L2, L3, change_mgmt, devops, facilities, incident_manager, service_desk"


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("create_api_user", *args, stdout=out)
    return out.getvalue().splitlines()


def roles_of(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def get_services(key: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(SERVICES)


def test_creates_user_with_roles_and_team_and_prints_a_working_token(db):
    lines = run("nagios", "--role", "service_desk", "--role", "l1", "--team", "service_desk")
    assert lines[0] == "Created user nagios with roles l1, service_desk in teams service_desk"
    key = lines[-1]
    assert re.fullmatch(r"[0-9a-f]{40}", key), lines

    user = User.objects.get(username="nagios")
    assert roles_of(user) == {"service_desk", "l1"}
    assert list(user.teams.values_list("code", flat=True)) == ["service_desk"]
    assert not user.has_usable_password()
    assert user.is_active

    response = get_services(key)
    assert response.status_code == 200, response.content
    assert response.wsgi_request.user == user


def test_only_the_hash_of_the_key_is_stored(db):
    key = run("nagios", "--role", "l1")[-1]
    token = ApiToken.objects.get(user__username="nagios")
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert token.name == "cli"
    assert token.revoked_at is None and token.expires_at is None
    for column, value in ApiToken.objects.filter(pk=token.pk).values().get().items():
        assert key not in str(value), column
    for event in AuditEvent.objects.all():
        assert key not in str(event.changes) and key not in str(event.additional_data)


def test_audit_events_are_written_for_the_user_and_the_token(db):
    run("nagios", "--role", "service_desk", "--role", "l1", "--team", "service_desk")
    user_event = AuditEvent.objects.get(ref_type="user", ref_id="nagios")
    assert user_event.domain_action == "create"
    assert user_event.actor_label == "system"
    assert user_event.changes == {"roles": [[], ["l1", "service_desk"]], "teams": [None, ["service_desk"]]}
    token_event = AuditEvent.objects.get(ref_type="api_token", ref_id="nagios")
    assert token_event.domain_action == "create"
    token = ApiToken.objects.get(user__username="nagios")
    assert token_event.changes == {"token": [None, f"{token.prefix}… (cli)"]}
    assert user_event.seq < token_event.seq


def test_rerun_replaces_roles_and_issues_a_new_token_the_old_one_still_works(db):
    first_key = run("nagios", "--role", "service_desk", "--role", "l1", "--team", "service_desk")[-1]
    lines = run("nagios", "--role", "auditor", "--token-name", "second")
    assert lines[0] == "Updated user nagios with roles auditor"
    second_key = lines[-1]
    assert re.fullmatch(r"[0-9a-f]{40}", second_key)
    assert second_key != first_key

    user = User.objects.get(username="nagios")
    assert User.objects.filter(username="nagios").count() == 1
    assert roles_of(user) == {"auditor"}
    # teams are added, never removed, by the command
    assert list(user.teams.values_list("code", flat=True)) == ["service_desk"]
    assert sorted(ApiToken.objects.filter(user=user).values_list("name", flat=True)) == ["cli", "second"]

    assert get_services(first_key).status_code == 200
    assert get_services(second_key).status_code == 200

    update = AuditEvent.objects.get(ref_type="user", ref_id="nagios", domain_action="update")
    assert update.changes == {"roles": [["l1", "service_desk"], ["auditor"]]}


def test_rerun_keeps_groups_that_are_not_roles(db):
    from django.contrib.auth.models import Group

    run("nagios", "--role", "l1")
    user = User.objects.get(username="nagios")
    user.groups.add(Group.objects.create(name="newsletter"))
    run("nagios", "--role", "l2")
    assert roles_of(user) == {"l2", "newsletter"}


def test_unknown_role_is_refused_and_creates_nothing(db):
    with pytest.raises(CommandError) as excinfo:
        run("nagios", "--role", "l1", "--role", "wizard")
    assert str(excinfo.value) == f"Unknown role(s): wizard. Roles are: {ALL_ROLES}."
    assert not User.objects.filter(username="nagios").exists()
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unknown_team_is_refused_and_creates_nothing(db):
    with pytest.raises(CommandError) as excinfo:
        run("nagios", "--role", "l1", "--team", "L2", "--team", "night_shift")
    assert str(excinfo.value) == f"Unknown team(s): night_shift. Teams are: {ALL_TEAMS}."
    assert not User.objects.filter(username="nagios").exists()
    assert not Team.objects.get(code="L2").members.exists()
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_unknown_role_on_rerun_leaves_the_user_as_it_was(db):
    run("nagios", "--role", "l1")
    events, tokens = AuditEvent.objects.count(), ApiToken.objects.count()
    with pytest.raises(CommandError):
        run("nagios", "--role", "wizard")
    assert roles_of(User.objects.get(username="nagios")) == {"l1"}
    assert (AuditEvent.objects.count(), ApiToken.objects.count()) == (events, tokens)


def test_role_is_required(db):
    with pytest.raises(CommandError, match="--role"):
        run("nagios")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (
            "nagios monitor",
            "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
        ),
        (
            "nagios;drop",
            "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
        ),
        ("n" * 151, "Ensure this value has at most 150 characters (it has 151)."),
    ],
)
def test_a_username_the_admin_would_refuse_is_refused_and_creates_nothing(db, name, reason):
    with pytest.raises(CommandError) as excinfo:
        run(name, "--role", "l1")
    assert str(excinfo.value) == f"Invalid username {name!r}: {reason}"
    assert excinfo.value.returncode == 1  # manage.py exits with it
    assert not User.objects.exists()
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_longest_valid_username_is_accepted(db):
    name = "a.b-c_d+e@" + "n" * 140
    assert run(name, "--role", "l1")[0] == f"Created user {name} with roles l1"


def test_the_command_line_exits_non_zero_with_the_message(db):
    """Through manage.py's own entry point: the message on stderr, exit status 1."""
    from django.core.management import ManagementUtility

    err = io.StringIO()
    utility = ManagementUtility(["manage.py", "create_api_user", "bad name", "--role", "l1"])
    with pytest.raises(SystemExit) as excinfo:
        from contextlib import redirect_stderr

        with redirect_stderr(err):
            utility.execute()
    assert excinfo.value.code == 1
    assert err.getvalue().strip() == (
        "CommandError: Invalid username 'bad name': Enter a valid username. This value may contain "
        "only letters, numbers, and @/./+/-/_ characters."
    )
