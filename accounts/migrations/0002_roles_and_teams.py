"""The roles of SPEC.md as groups, and the teams of the policy."""

from django.db import migrations

ROLES = [
    "end_user", "service_desk", "l1", "l2", "l3", "devops", "facilities",
    "service_desk_manager", "change_manager", "incident_manager", "auditor", "admin",
]
TEAMS = [
    ("service_desk", "Service desk"),
    ("L1", "L1 support"),
    ("L2", "L2 support"),
    ("L3", "L3 engineering"),
    ("facilities", "Facilities"),
    ("change_mgmt", "Change management"),
    ("devops", "DevOps"),
    ("incident_manager", "Incident management"),
]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Team = apps.get_model("accounts", "Team")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for code, name in TEAMS:
        Team.objects.get_or_create(code=code, defaults={"name": name})


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()
    apps.get_model("accounts", "Team").objects.filter(code__in=[c for c, _ in TEAMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create, remove)]
