from django.apps import AppConfig


class SimulationsConfig(AppConfig):
    name = "simulations"
    verbose_name = "Simulations"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register
        from incidents.related import Related, related_register
        from simulations.policy import VIEWERS
        from simulations.selectors import incident_drill

        # a drill incident says so on its page and in its API detail (key "drill")
        related_register(
            Related(key="drill", template="simulations/_incident_panel.html", items=incident_drill, order=1)
        )
        nav_register(NavEntry(label="Simulations", url_name="simulations", roles=VIEWERS, order=75))
