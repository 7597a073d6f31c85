from datetime import time

from django.db import migrations


def create(apps, schema_editor):
    Calendar = apps.get_model("catalog", "BusinessCalendar")
    Calendar.objects.get_or_create(
        name="Office hours (Mon–Fri 09:00–17:00 UTC)",
        defaults={"time_zone": "UTC", "working_days": [1, 2, 3, 4, 5], "day_start": time(9), "day_end": time(17)},
    )
    Calendar.objects.get_or_create(
        name="24x7",
        defaults={"time_zone": "UTC", "working_days": [1, 2, 3, 4, 5, 6, 7], "day_start": time(0), "day_end": time(0)},
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
