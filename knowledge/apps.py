from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register
        from core.roles import ALL_ROLES
        from incidents.related import related_register
        from knowledge.related import RELATED

        related_register(RELATED)
        # every signed-in role: end users read the published articles, staff write them
        nav_register(NavEntry("Knowledge", "kb-list", ALL_ROLES, order=30))
