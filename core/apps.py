from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "IMS core"

    def ready(self):
        from core.db import connect_signals

        connect_signals()
