"""SLA policy v1: the defaults of SPEC.md (a business day is 480 business minutes)."""

from django.db import migrations

DEFAULTS = [
    # priority, acknowledge, resolve, update every, clock
    ("P1", 15, 4 * 60, 30, "24x7"),
    ("P2", 30, 8 * 60, 60, "24x7"),
    ("P3", 4 * 60, 3 * 480, None, "business_hours"),
    ("P4", 480, 5 * 480, None, "business_hours"),
]


def create(apps, schema_editor):
    Policy = apps.get_model("sla", "SlaPolicy")
    Target = apps.get_model("sla", "SlaTarget")
    if Policy.objects.exists():
        return
    policy = Policy.objects.create(version=1, note="Defaults of SPEC.md")
    for priority, ack, resolve, update, clock in DEFAULTS:
        Target.objects.create(
            policy=policy,
            priority=priority,
            acknowledge_minutes=ack,
            resolve_minutes=resolve,
            update_every_minutes=update,
            clock=clock,
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
