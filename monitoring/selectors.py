from monitoring.models import Event
from monitoring.policy import may_read


def events_visible_to(user):
    """Staff read every event; others none."""
    rows = Event.objects.select_related("service", "incident", "rule")
    return rows if may_read(user) else rows.none()
