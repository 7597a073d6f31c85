from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = "Changes"

    def ready(self) -> None:
        # what the incident shows of changes, and the navigation entries: registered here so
        # that incidents and core never import changes
        from changes import related  # noqa: F401 - registers the incident's change panels
        from core.navigation import NavEntry, nav_register
        from core.roles import STAFF_ROLES, Role

        nav_register(NavEntry("Changes", "changes", frozenset(STAFF_ROLES), order=30))
        nav_register(
            NavEntry("CAB", "change-cab", frozenset({Role.CHANGE_MANAGER, Role.INCIDENT_MANAGER}), order=31)
        )
        # a KB article may be written for changes (knowledge never imports changes)
        from changes.selectors import changes_visible_to
        from knowledge.links import link_target_for, link_target_register

        target = link_target_for("changes", "change", changes_visible_to, "change-page", "summary")
        link_target_register(target)
