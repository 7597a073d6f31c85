from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_tally(sender, using, **kwargs) -> None:
    from django.db.migrations.recorder import MigrationRecorder

    from incidents.tally import ensure_tally

    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if ("incidents", "0004_incident_tally") in applied:  # the table exists
        ensure_tally(connection)


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # a SQLite table rebuild in a later migration drops the tally's triggers: put them back
        post_migrate.connect(_ensure_tally, sender=self, dispatch_uid="incidents.ensure_tally")
        # communications' recipient groups (reporter, IT_staff) resolve through the incident
        from communications.recipients import register_subject_resolver
        from incidents.contacts import incident_contacts

        register_subject_resolver("INC", incident_contacts)
