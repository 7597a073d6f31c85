from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.services import user_provision
from catalog import services as catalog
from catalog.models import BusinessCalendar, Service, Vendor
from core.roles import Role

# (username, role, team, full name)
DEMO_USERS = [
    ("admin", Role.ADMIN, None, "Ada Admin"),
    ("manager", Role.INCIDENT_MANAGER, "incident_manager", "Morgan Manager"),
    ("deskmanager", Role.SERVICE_DESK_MANAGER, "service_desk", "Sam Deskmanager"),
    ("analyst", Role.SERVICE_DESK, "service_desk", "Alex Analyst"),
    ("l1", Role.L1, "L1", "Lee One"),
    ("l2", Role.L2, "L2", "Lou Two"),
    ("l3", Role.L3, "L3", "Lin Three"),
    ("devops", Role.DEVOPS, "devops", "Dev Ops"),
    ("facilities", Role.FACILITIES, "facilities", "Fran Facilities"),
    ("cab", Role.CHANGE_MANAGER, "change_mgmt", "Casey CAB"),
    ("auditor", Role.AUDITOR, None, "Audrey Auditor"),
    ("enduser", Role.END_USER, None, "Eve Enduser"),
    ("enduser2", Role.END_USER, None, "Eli Enduser"),
]

SERVICES = [
    ("Email", "high", "L2", []),
    ("VPN", "high", "L2", []),
    ("HR Portal", "medium", "L1", []),
    ("Payroll", "high", "L3", ["HR Portal"]),
    ("Office Wi-Fi", "medium", "facilities", []),
]

VENDORS = [
    (
        "Contoso Mail",
        [{"name": "Contoso support desk", "email": "support@contoso.example", "phone": "+1 555 0100"}],
    ),
    (
        "Fabrikam Networks",
        [{"name": "Fabrikam NOC", "email": "noc@fabrikam.example", "phone": "+1 555 0199"}],
    ),
]


class Command(BaseCommand):
    help = "Create demo users (one per role, password = username + '-demo'), services and vendors."

    def handle(self, *args, **options):
        User = get_user_model()
        with transaction.atomic():
            for username, role, team, full_name in DEMO_USERS:
                user, _ = user_provision(
                    username=username,
                    roles=[role],
                    teams=[team] if team else [],
                    email=f"{username}@ims.example",
                )
                first, last = full_name.split(" ", 1)
                user.first_name, user.last_name = first, last
                user.is_staff = role in (Role.ADMIN, Role.INCIDENT_MANAGER)
                user.is_superuser = role == Role.ADMIN
                user.set_password(f"{username}-demo")
                user.save()
            admin = User.objects.get(username="admin")
            office = BusinessCalendar.objects.filter(name__startswith="Office hours").first()
            by_name = {s.name: s for s in Service.objects.all()}
            for name, criticality, team, deps in SERVICES:
                if name not in by_name:
                    by_name[name] = catalog.service_create(
                        actor=admin,
                        name=name,
                        criticality=criticality,
                        owner_team=team,
                        depends_on=[by_name[d].reference for d in deps],
                        calendar=office.name if office else None,
                    )
            existing_vendors = set(Vendor.objects.values_list("name", flat=True))
            for name, contacts in VENDORS:
                if name not in existing_vendors:
                    catalog.vendor_create(actor=admin, name=name, contacts=contacts)

        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/login/ as:"))
        for username, role, team, _ in DEMO_USERS:
            self.stdout.write(
                f"  {username:<12} password {username + '-demo':<18} role {role.value}"
                + (f", team {team}" if team else "")
            )
