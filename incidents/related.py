"""What the apps above incidents show on an incident: the records linked to it (problems,
changes, KB articles, reviews) and the links the viewer may make from it.

Each such app registers a ``Related`` in its ``AppConfig.ready``; incidents never imports
them (they depend on incidents, not the other way round). The incident's API detail carries
each one's ``items`` under its ``key`` and the viewer's ``links`` in ``allowed_links``; the
incident page shows each one's ``template`` with ``incident``, ``items`` and ``links``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


def _no_links(user, incident) -> list[str]:
    return []


@dataclass(frozen=True)
class Related:
    key: str  # the key in the incident's API detail: "problems"
    template: str  # the incident page's panel: "problems/_incident_panel.html"
    items: Callable[..., list[dict]]  # (incident, user) -> what the detail lists, JSON-ready
    links: Callable[..., list[str]] = field(default=_no_links)  # (user, incident) -> ["link_problem"]
    order: int = 50
    description: str = ""  # what the API detail's key holds, for the schema


_REGISTRY: dict[str, Related] = {}


def related_register(related: Related) -> None:
    _REGISTRY[related.key] = related


def related_all() -> list[Related]:
    return sorted(_REGISTRY.values(), key=lambda r: (r.order, r.key))


def related_for(incident, user) -> list[dict]:
    """One entry per registered app: ``{"related", "items", "links"}`` for ``user``."""
    return [
        {"related": r, "key": r.key, "items": r.items(incident, user), "links": r.links(user, incident)}
        for r in related_all()
    ]


def related_api(incident, user) -> dict:
    """The incident's API detail's share of the linked records: each key, and ``allowed_links``."""
    body: dict = {}
    links: list[str] = []
    for entry in related_for(incident, user):
        body[entry["key"]] = entry["items"]
        links += entry["links"]
    body["allowed_links"] = links
    return body
