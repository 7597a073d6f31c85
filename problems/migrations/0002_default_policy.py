"""The problem policy's one row, with the defaults of SPEC.md (a 7-day stability window)."""

from django.db import migrations


def create(apps, schema_editor):
    Policy = apps.get_model("problems", "ProblemPolicy")
    Policy.objects.get_or_create(pk=1, defaults={"stability_window_days": 7})


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
