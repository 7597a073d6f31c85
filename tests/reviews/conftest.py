"""Fixtures of the PIR tests: the incident fixtures (people, make, …), a KB article, and
``file_review`` to file a PIR through the service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge.services import article_create
from reviews.services import review_create
from tests.incidents.conftest import make, people, svc, vendor  # noqa: F401 - the incident fixtures


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def article(people):  # noqa: F811 - the fixture imported above
    return article_create(
        actor=people.analyst, title="Drain the mail queue", body="Restart the relay.", type="resolution"
    )


@pytest.fixture
def file_review(people, make):  # noqa: F811 - the fixtures imported above
    """file_review(incident=None, **fields) → a draft PIR of ``incident`` (default: a
    resolved P1) filed by the incident manager, with one action item owned by L2."""

    def build(incident=None, *, actor=None, **fields):
        incident = incident or make("resolved", priority="P1")
        fields.setdefault(
            "action_items", [{"description": "Alert on queue depth", "owner": people.l2.username,
                              "due_date": tomorrow()}]
        )  # fmt: skip
        return review_create(
            actor=actor or people.im,
            incident=incident.reference,
            timeline=fields.pop("timeline", "09:00 alert; 09:20 mitigated; 10:00 restored."),
            contributing_factors=fields.pop("contributing_factors", "The relay's disk filled up."),
            root_cause=fields.pop("root_cause", "Log rotation was disabled by a config change."),
            **fields,
        )

    return build
