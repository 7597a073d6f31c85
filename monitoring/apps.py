from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring intake"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register
        from core.roles import STAFF_ROLES
        from incidents.related import related_register
        from monitoring.related import RELATED

        related_register(RELATED)

        nav_register(NavEntry("Events", "monitoring-events", STAFF_ROLES, order=60))
