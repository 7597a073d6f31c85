"""What the incident page and the incident's API detail show of its PIR (registered in
ReviewsConfig.ready with incidents.related): the review with its open and overdue action
items, and ``start_review`` for an incident manager when the incident owes one and has
none. A constant number of queries, whatever the review holds."""

from django.utils import timezone

from core.roles import STAFF_ROLES, user_roles
from incidents.choices import Status
from reviews.models import Review
from reviews.policy import may
from reviews.requirement import pir_owed
from reviews.selectors import with_item_counts


def incident_review_items(incident, user) -> list[dict]:
    if not user_roles(user) & STAFF_ROLES or incident.pir_filed_at is None:
        return []
    rows = with_item_counts(Review.objects.filter(incident_id=incident.pk)).values(
        "reference", "status", "items_open", "items_overdue", "completed_at"
    )
    return [
        {
            "id": row["reference"],
            "status": row["status"],
            "items_open": row["items_open"],
            "items_overdue": row["items_overdue"],
            "completed_at": timezone.localtime(row["completed_at"]).isoformat()
            if row["completed_at"]
            else None,
        }
        for row in rows
    ]


def incident_review_links(user, incident) -> list[str]:
    if (
        incident.pir_filed_at is None
        and incident.status in (Status.RESOLVED, Status.CLOSED)
        and may(user, "create")
        and pir_owed(incident)
    ):
        return ["start_review"]
    return []
