"""What problems add to an incident (incidents.related): the problems linked to it
(selectors.incident_problems) and the link the viewer may make from it."""

from problems.policy import may

LINK_PROBLEM = "link_problem"


def incident_problem_links(user, incident) -> list[str]:
    """``["link_problem"]`` for a viewer who may link problems (any incident they can see
    may be linked; the problem's state is checked when one is named). Whoever may link may
    also raise a problem from the incident (the same roles)."""
    return [LINK_PROBLEM] if may(user, "link_incident") else []
