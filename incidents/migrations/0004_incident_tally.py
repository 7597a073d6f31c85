"""IncidentTally and the triggers that keep it (incidents.tally), counted once from the
incidents already there."""

from django.db import migrations, models

from incidents.tally import ensure_tally


def install(apps, schema_editor):
    ensure_tally(schema_editor.connection)


def uninstall(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in ("inc_tally_insert", "inc_tally_delete", "inc_tally_category"):
            if schema_editor.connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON incidents_incident")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_text_search_trigram_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="IncidentTally",
            fields=[
                ("bucket", models.CharField(max_length=16, primary_key=True, serialize=False)),
                ("n", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name_plural": "incident tallies",
            },
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
