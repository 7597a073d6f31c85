"""Whether an incident owes a post-incident review (SPEC.md, SOP 14): every P1/P2, and a
P3/P4 only when it recurs — at least ``ReviewPolicy.recurrence_count`` incidents (itself
among them) on the same service and category detected within
``recurrence_window_days`` of each other. A one-off P3/P4 gets a closure summary instead.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import timedelta

from incidents.choices import HIGH_PRIORITIES
from incidents.models import Incident
from reviews.choices import RequiredBecause
from reviews.models import ReviewPolicy


@dataclass(frozen=True)
class Requirement:
    required: bool
    because: str  # a RequiredBecause value, or "" when no PIR is owed
    message: str  # why (the refusal's text when not required)


def recurrences(incident: Incident, policy: ReviewPolicy) -> int:
    """The most incidents on ``incident``'s service and category, itself included, detected
    within one window of the policy's length that contains its detection (one query)."""
    window = timedelta(days=policy.recurrence_window_days)
    moment = incident.detected_at
    times = sorted(
        Incident.objects.filter(
            affected_service_id=incident.affected_service_id,
            category=incident.category,
            detected_at__gte=moment - window,
            detected_at__lte=moment + window,
        ).values_list("detected_at", flat=True)
    )
    best = 0
    for first, start in enumerate(times):  # every window worth counting starts at an incident
        if start > moment:
            break
        best = max(best, bisect_right(times, start + window) - first)
    return best


def pir_requirement(incident: Incident, policy: ReviewPolicy | None = None) -> Requirement:
    if incident.priority in HIGH_PRIORITIES:
        return Requirement(
            True,
            RequiredBecause.HIGH_PRIORITY,
            f"{incident.reference} is {incident.priority}: a PIR is required.",
        )
    policy = policy or ReviewPolicy.current()
    count = recurrences(incident, policy)
    scope = (
        f"on {incident.affected_service.reference} in {incident.category} within "
        f"{policy.recurrence_window_days} days"
    )
    if count >= policy.recurrence_count:
        return Requirement(
            True, RequiredBecause.RECURRING, f"{incident.reference} recurs: {count} incidents {scope}."
        )
    return Requirement(
        False,
        "",
        f"{incident.reference} is a one-off {incident.priority} ({count} incident{'s' if count != 1 else ''} "
        f"{scope}; {policy.recurrence_count} make it recurring): a PIR is for P1/P2 and recurring "
        "incidents, and a one-off P3/P4 gets a closure summary instead.",
    )


def pir_owed(incident: Incident) -> bool:
    """``pir_requirement(incident).required``, without composing its message."""
    if incident.priority in HIGH_PRIORITIES:
        return True
    policy = ReviewPolicy.current()
    return recurrences(incident, policy) >= policy.recurrence_count
