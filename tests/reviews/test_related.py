"""What the incident shows of its PIR (reviews.related): the review with its open and
overdue items, and ``start_review`` for an incident manager when one is owed."""

from datetime import timedelta

from django.utils import timezone

from incidents.models import Incident
from reviews.related import incident_review_items, incident_review_links
from reviews.services import action_item_update
from tests.reviews.conftest import tomorrow
from tests.sla.support import at


def test_start_review_is_offered_to_incident_managers_when_a_pir_is_owed(api, people, make):
    owed = make("resolved", priority="P2")
    body = api(people.im).get(f"/api/v1/incidents/{owed.reference}/").json()
    assert body["review"] == [] and "start_review" in body["allowed_links"]
    assert (
        "start_review"
        not in api(people.analyst).get(f"/api/v1/incidents/{owed.reference}/").json()["allowed_links"]
    )
    for incident in (make("in_progress", priority="P1"), make("closed", priority="P4", category="network")):
        assert incident_review_links(people.im, incident) == [], incident
    assert "review" in api(people.reporter).get(f"/api/v1/incidents/{owed.reference}/").json()


def test_the_filed_review_with_its_open_and_overdue_items(people, file_review):
    review = file_review(action_items=[
        {"description": "Late", "owner": people.l2.username, "due_date": tomorrow()},
        {"description": "On time", "owner": people.l2.username, "due_date": tomorrow() + timedelta(days=9)},
        {"description": "Done", "owner": people.l2.username, "due_date": tomorrow()},
    ])  # fmt: skip
    action_item_update(review=review.reference, number=3, actor=people.l2, status="done")
    incident = Incident.objects.get(pk=review.incident_id)
    with at(timezone.now() + timedelta(days=3)):
        assert incident_review_items(incident, people.analyst) == [
            {
                "id": review.reference,
                "status": "draft",
                "items_open": 2,
                "items_overdue": 1,
                "completed_at": None,
            }
        ]
    assert incident_review_links(people.im, incident) == []
    assert incident_review_items(incident, people.reporter) == []  # end users see no reviews
