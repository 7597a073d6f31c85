from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Post-incident reviews"

    def ready(self) -> None:
        from core.navigation import NavEntry, nav_register
        from core.roles import STAFF_ROLES, Role
        from incidents.related import Related, related_register
        from reviews.related import incident_review_items, incident_review_links

        related_register(
            Related(
                key="review",
                template="reviews/_incident_panel.html",
                items=incident_review_items,
                links=incident_review_links,
                order=60,
            )
        )
        nav_register(NavEntry("Reviews", "review-list", frozenset({Role.INCIDENT_MANAGER}), order=60))
        # owners of action items are IT staff (reviews.services validates it)
        nav_register(NavEntry("My action items", "review-my-items", STAFF_ROLES, order=61))
