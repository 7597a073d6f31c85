"""reviews.requirement: a PIR is owed for P1/P2 and for recurring incidents (the policy's
count on one service and category within its window), and only for those."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Service
from core.errors import ErrorCode
from reviews.models import ReviewPolicy
from reviews.requirement import pir_owed, pir_requirement
from reviews.services import review_create
from tests.reviews.test_services import TEXTS, refused

DAY = timedelta(days=1)


@pytest.fixture
def detected(make):
    """detected(days_ago, priority="P3", **kw) → a resolved incident detected that long ago."""

    def build(days_ago: float, priority: str = "P3", **kw):
        return make("resolved", priority=priority, detected_at=timezone.now() - days_ago * DAY, **kw)

    return build


@pytest.mark.parametrize("priority", ["P1", "P2"])
def test_high_priority_always_owes_a_pir(make, priority):
    requirement = pir_requirement(make("resolved", priority=priority))
    assert (requirement.required, requirement.because) == (True, "high_priority")


def test_three_on_one_service_and_category_within_30_days_recur(detected):
    first, second, third = detected(25), detected(10, "P4"), detected(0)
    for incident in (first, second, third):  # the first of the three recurs as much as the last
        requirement = pir_requirement(incident)
        assert (requirement.required, requirement.because) == (True, "recurring"), incident
        assert requirement.message == (
            f"{incident.reference} recurs: 3 incidents on {incident.affected_service.reference} in software "
            "within 30 days."
        )


def test_three_spread_over_more_than_30_days_do_not_recur(detected, svc):
    detected(40), detected(20)
    latest = detected(0)
    requirement = pir_requirement(latest)
    assert not requirement.required and not pir_owed(latest)
    assert requirement.message == (
        f"{latest.reference} is a one-off P3 (2 incidents on {svc.reference} in software within 30 days; "
        "3 make it recurring): a PIR is for P1/P2 and recurring incidents, and a one-off P3/P4 gets a "
        "closure summary instead."
    )


def test_other_services_and_categories_do_not_count(detected):
    detected(5, category="network"), detected(4, service=Service.objects.create(name="Chat"))
    assert not pir_owed(detected(0))


def test_the_policy_row_sets_the_rule(detected):
    policy = ReviewPolicy.current()
    assert (policy.pk, policy.recurrence_count, policy.recurrence_window_days) == (1, 3, 30)
    detected(50)
    latest = detected(0)
    assert not pir_owed(latest)
    policy.recurrence_count, policy.recurrence_window_days = 2, 60
    policy.save()
    assert pir_owed(latest) and pir_requirement(latest).because == "recurring"


def test_a_one_off_p3_is_refused_and_a_recurring_one_filed(detected, people):
    detected(12, "P4")
    second = detected(6)
    refused(
        lambda: review_create(actor=people.im, incident=second.reference, **TEXTS),
        ErrorCode.PRECONDITION_FAILED,
        f"{second.reference} is a one-off P3 (2 incidents on {second.affected_service.reference} in "
        "software within 30 days; 3 make it recurring): a PIR is for P1/P2 and recurring incidents, and a "
        "one-off P3/P4 gets a closure summary instead.",
    )
    detected(1)
    assert review_create(actor=people.im, incident=second.reference, **TEXTS).required_because == "recurring"
