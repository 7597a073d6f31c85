from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = "Problems"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register
        from incidents.related import Related, related_register
        from problems.incident_panel import incident_problem_links
        from problems.policy import VIEWERS
        from problems.selectors import incident_problems

        # the incident's detail lists its problems, and offers the link to those who may
        related_register(
            Related(
                key="problems",
                template="problems/_incident_panel.html",
                items=incident_problems,
                links=incident_problem_links,
                order=10,
            )
        )
        nav_register(NavEntry(label="Problems", url_name="problems", roles=VIEWERS, order=10))
        # a KB article may be written for problems (knowledge never imports problems)
        from knowledge.links import link_target_for, link_target_register
        from problems.selectors import problems_visible_to

        link_target_register(link_target_for("problems", "problem", problems_visible_to, "problem-page"))
