import pytest
from django.contrib.auth.models import Group

from accounts.models import Team
from core.roles import Role


def test_every_role_of_the_spec_is_a_group(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}
    assert len(Role) == 12


def test_the_policy_teams_exist(db):
    assert set(Team.objects.values_list("code", flat=True)) == {
        "service_desk",
        "L1",
        "L2",
        "L3",
        "facilities",
        "change_mgmt",
        "devops",
        "incident_manager",
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_is_reversible_and_reapplies():
    from django.core.management import call_command

    call_command("migrate", "accounts", "0001", verbosity=0)
    assert not Group.objects.filter(name__in=[r.value for r in Role]).exists()
    assert not Team.objects.exists()
    # every app, not only accounts: unapplying accounts 0002 also unapplied the apps that
    # depend on it (catalog, incidents, …), and later tests need their tables back
    call_command("migrate", verbosity=0)
    assert Group.objects.filter(name__in=[r.value for r in Role]).count() == 12
    assert Team.objects.count() == 8
