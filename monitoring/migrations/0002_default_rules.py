"""SPEC.md, Monitoring intake: by default high and critical events open an incident (impact
high; urgency high for critical, medium for high); lower severities are stored only."""

from django.db import migrations

DEFAULTS = [
    {"name": "Critical events open an incident", "priority": 900, "severity": "critical",
     "impact": "high", "urgency": "high"},
    {"name": "High events open an incident", "priority": 910, "severity": "high",
     "impact": "high", "urgency": "medium"},
]  # fmt: skip


def add(apps, schema_editor):
    rule = apps.get_model("monitoring", "IntakeRule")
    for row in DEFAULTS:
        rule.objects.get_or_create(name=row["name"], defaults={**row, "opens_incident": True})


def remove(apps, schema_editor):
    apps.get_model("monitoring", "IntakeRule").objects.filter(name__in=[r["name"] for r in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
