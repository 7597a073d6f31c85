"""What the desk's lists show of each row, prepared in one pass per page.

The template language pays for every lookup, filter and include of every row: at 25 rows
of the workspace and 50 entries of a timeline, the date filter, ``{% url %}``, the SLA
badge include and ``delta.0`` lookups were most of the page. Here each row's link, times,
badge and changes are made once, with what every row shares (now, the month names)
computed once per page; the templates only lay them out.
"""

from django.urls import reverse
from django.utils.timesince import timeuntil

from incidents.sla import sla_state
from operations.display import Times, timeline_rows

__all__ = ["Times", "sla_badge", "timeline_rows", "workspace_rows"]


def workspace_rows(incidents, now) -> list[dict]:
    """Each incident of a workspace page with its link, creation time and SLA badge: the
    acknowledge timer until it is acknowledged, then the resolve timer."""
    times = Times()
    rows = []
    for incident in incidents:
        sla = sla_state(incident, now)
        timer = sla["acknowledge"] if not incident.acknowledged_at and sla["acknowledge"] else sla["resolve"]
        rows.append(
            {
                "incident": incident,
                "href": reverse("incident-page", args=[incident.reference]),
                "created_iso": times.iso(incident.created_at),
                "created_text": times.text(incident.created_at),
                "badge": sla_badge(timer, now, times),
            }
        )
    return rows


def sla_badge(timer: dict | None, now, times: Times) -> dict | None:
    """A timer of incidents.sla.sla_state as a badge: css class, text, and the due time for
    desk.js's countdown (``due``) or as a tooltip (``title``); None shows a dash. Every key
    is always there: a missing one costs the template a failed lookup."""
    if not timer:
        return None
    due = timer.get("due_at")
    if not due:
        return _badge("paused", "paused") if timer.get("paused") else None
    if timer["breached"]:
        return _badge("breached", "breached", title=f"due {times.iso(due)}")
    if timer["met_at"]:
        return _badge("met", "met")
    if timer["at_risk"]:
        return _badge("at-risk", "at risk", due=times.iso(due))
    return _badge("ok", timeuntil(due, now), due=times.iso(due))


def _badge(css: str, text: str, *, title: str = "", due: str = "") -> dict:
    return {"css": css, "text": text, "title": title, "due": due}
