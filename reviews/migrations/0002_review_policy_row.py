"""The one ReviewPolicy row, with SPEC.md's recurrence rule: 3 incidents on the same service
and category within 30 days."""

from django.db import migrations


def create_policy(apps, schema_editor):
    ReviewPolicy = apps.get_model("reviews", "ReviewPolicy")
    ReviewPolicy.objects.get_or_create(pk=1, defaults={"recurrence_count": 3, "recurrence_window_days": 30})


class Migration(migrations.Migration):

    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
