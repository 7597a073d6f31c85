"""Two incident managers filing the same incident's PIR at once, on PostgreSQL: the incident
is locked for the whole operation, so one files it and the other is told it exists."""

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from audit.verify import verify_chain
from core.errors import DomainError, ErrorCode
from incidents.models import Incident
from reviews.models import Review
from reviews.services import review_create
from tests.reviews.test_services import TEXTS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_one_of_two_simultaneous_filings_wins(people, make, make_user):
    incident = make("resolved", priority="P1")
    managers = [people.im, make_user("incident_manager", team="incident_manager")]
    barrier = threading.Barrier(2)
    outcomes = []

    def file(actor):
        try:
            barrier.wait(timeout=10)
            review = review_create(actor=actor, incident=incident.reference, **TEXTS)
            outcomes.append(("filed", review.reference))
        except DomainError as refusal:
            outcomes.append(("refused", refusal))
        except Exception as exc:  # reported below
            outcomes.append(("crashed", exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(actor,)) for actor in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(kind for kind, _ in outcomes) == ["filed", "refused"], outcomes
    filed = next(value for kind, value in outcomes if kind == "filed")
    refusal = next(value for kind, value in outcomes if kind == "refused")
    assert (refusal.code, refusal.fields) == (ErrorCode.DUPLICATE, {"existing": filed})
    assert list(Review.objects.values_list("reference", flat=True)) == [filed]
    assert Incident.objects.get(pk=incident.pk).version == incident.version + 1
    assert AuditEvent.objects.filter(domain_action="review").count() == 2  # the review's and the incident's
    assert verify_chain()[1] is None
