from django.apps import AppConfig


class ToolingConfig(AppConfig):
    name = "tooling"
    verbose_name = "Tool usage"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register
        from incidents.related import Related, related_register
        from tooling.policy import VIEWERS
        from tooling.selectors import incident_tool_links, incident_tool_usages

        # the incident's detail lists its tool usages, and offers recording one to those who may
        related_register(
            Related(
                key="tool_usages",
                template="tooling/_incident_panel.html",
                items=incident_tool_usages,
                links=incident_tool_links,
                order=60,
            )
        )
        nav_register(NavEntry(label="Tool usage", url_name="tool-usages", roles=VIEWERS, order=70))
