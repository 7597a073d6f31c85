"""What the knowledge base adds to an incident (incidents.related): the articles linked to
it, under ``kb_articles`` in its API detail and in its page's knowledge panel, and the KB
operations the viewer may take on it (``link_kb`` any time; ``kb_update`` once closed)."""

from incidents.choices import Status
from incidents.related import Related
from knowledge.policy import may_on_incident
from knowledge.selectors import incident_articles


def incident_links(user, incident) -> list[str]:
    links = []
    if may_on_incident(user, "link_kb"):
        links.append("link_kb")
    if may_on_incident(user, "kb_update") and incident.status == Status.CLOSED:
        links.append("kb_update")
    return links


RELATED = Related(
    key="kb_articles",
    template="knowledge/_incident_panel.html",
    items=incident_articles,
    links=incident_links,
    order=30,
)
