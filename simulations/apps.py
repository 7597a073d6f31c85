from django.apps import AppConfig


class SimulationsConfig(AppConfig):
    name = "simulations"
    verbose_name = "Simulations"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register
        from simulations.policy import VIEWERS

        nav_register(NavEntry(label="Simulations", url_name="simulations", roles=VIEWERS, order=75))
