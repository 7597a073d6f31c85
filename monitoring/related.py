"""What monitoring adds to an incident (incidents.related): its alerts (one row per dedup
key: events counted, first and last seen, cleared or not), under ``monitoring_alerts`` in
its API detail and in a panel of its page (seed 003 M7: before resolving an incident that
monitoring opened, see whether its alerts cleared). One query, whatever the rows."""

from incidents.related import Related
from monitoring.models import IncidentAlert
from monitoring.policy import may_read


def incident_alerts(incident, user) -> list[dict]:
    if not may_read(user):
        return []
    return [
        {
            "dedup_key": a.dedup_key,
            "count": a.count,
            "first_seen": a.first_seen.isoformat(),
            "last_seen": a.last_seen.isoformat(),
            "cleared": a.cleared_at is not None,
            "cleared_at": a.cleared_at.isoformat() if a.cleared_at else None,
        }
        for a in IncidentAlert.objects.filter(incident_id=incident.pk).order_by("-last_seen")
    ]


RELATED = Related(
    key="monitoring_alerts", template="monitoring/_incident_panel.html", items=incident_alerts, order=60
)
