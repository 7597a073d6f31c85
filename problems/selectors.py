"""Reads of problems, scoped to the viewer: staff see every problem, end users none. The
incidents and KB articles a problem lists are those the viewer may see of each."""

from django.db.models import Count, QuerySet

from incidents.selectors import incidents_visible_to
from knowledge.models import Article
from knowledge.selectors import articles_visible_to
from problems.models import Problem, ProblemIncident, ProblemPolicy
from problems.policy import may_view

ROW_RELATED = ("affected_service", "owner_team", "assignee", "created_by")


def problems_visible_to(user) -> QuerySet[Problem]:
    if not may_view(user):
        return Problem.objects.none()
    return Problem.objects.all()


def problem_rows(user) -> QuerySet[Problem]:
    """Problems for lists (API and page): their people, service and team joined, and how
    many incidents each links, newest first."""
    return (
        problems_visible_to(user)
        .select_related(*ROW_RELATED)
        .annotate(incident_count=Count("incident_links"))
        .order_by("-created_at", "-id")
    )


def problem_for_page(user, reference: str) -> Problem | None:
    return problems_visible_to(user).select_related(*ROW_RELATED).filter(reference=reference).first()


def problem_links_visible_to(user, problem: Problem) -> tuple[list[ProblemIncident], list[str]]:
    """The problem's incident links whose incident ``user`` may see (incident and linker
    joined), oldest first, and the references of the others (restricted incidents, which
    the viewer is told exist but not shown). Two queries, however many links."""
    visible = incidents_visible_to(user)
    links = list(
        problem.incident_links.filter(incident__in=visible)
        .select_related("incident", "linked_by")
        .order_by("linked_at", "id")
    )
    hidden = list(
        problem.incident_links.exclude(incident__in=visible)
        .order_by("linked_at", "id")
        .values_list("incident__reference", flat=True)
    )
    return links, hidden


def problem_articles_visible_to(user, problem: Problem) -> list[Article]:
    return list(problem.articles.filter(pk__in=articles_visible_to(user).values("pk")).order_by("created_at"))


def incident_problems(incident, user) -> list[dict]:
    """The problems linked to ``incident`` as the incident's detail lists them (id, title,
    status), for a viewer who may see problems: one query."""
    if not may_view(user):
        return []
    rows = (
        Problem.objects.filter(incident_links__incident=incident)
        .order_by("incident_links__linked_at", "id")
        .values("reference", "title", "status")
    )
    return [{"id": row["reference"], "title": row["title"], "status": row["status"]} for row in rows]


def stability_window_days() -> int:
    return ProblemPolicy.current().stability_window_days
