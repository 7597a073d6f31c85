from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring intake"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register
        from core.roles import STAFF_ROLES

        nav_register(NavEntry("Events", "event-list", STAFF_ROLES, order=60))
