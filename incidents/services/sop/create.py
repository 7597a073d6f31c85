"""SOP 2 (identification): a new incident, and the possible duplicates offered with it."""

import difflib
import itertools
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from rapidfuzz.distance import Indel

from audit.services import audit_record
from catalog.models import Service
from core.errors import DomainError, ErrorCode, validation_error
from core.roles import STAFF_ROLES, user_roles
from incidents.choices import (
    ACTIVE_STATUSES,
    Category,
    DetectionSource,
    Level,
    Priority,
    priority_for,
)
from incidents.models import Incident
from incidents.selectors import incidents_visible_to
from incidents.services.sop.base import (
    CLOCK_SKEW,
    DETECTED_AT_MAX_AGE,
    DUPLICATE_SIMILARITY,
    DUPLICATE_WINDOW,
    _active_service,
    _active_user,
    _choice,
    _required,
    _text,
)
from incidents.sla import refresh_deadlines


# ---- SOP 2: identification --------------------------------------------------------------
def incident_create(
    *,
    actor,
    title: str,
    description: str = "",
    category: str = Category.OTHER,
    impact: str,
    urgency: str,
    affected_service: str,
    detection_source: str = DetectionSource.USER_REPORT,
    subcategory: str = "",
    priority: str | None = None,
    priority_justification: str = "",
    reporter: str | None = None,
    detected_at: datetime | None = None,
    is_personal_data_breach: bool = False,
) -> tuple[Incident, list[Incident]]:
    """SOP 2 (identification): create an ``open`` incident with priority from impact ×
    urgency (an explicit different priority needs a justification). Returns the incident
    and the possible duplicates: active incidents on the same service with a similar title
    in the last 24 h, as far as the actor may see them."""
    roles = user_roles(actor)
    if not roles:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "You need an IMS role to report incidents.")
    if roles <= {"auditor"}:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            "Auditors read everything and change nothing; an auditor cannot report incidents.",
        )
    title = _required(title, "title", "An incident needs a title.")
    description, subcategory = _text(description, "description"), _text(subcategory, "subcategory")
    priority_justification = _text(priority_justification, "priority_justification")
    _choice(category, Category, "category")
    _choice(impact, Level, "impact")
    _choice(urgency, Level, "urgency")
    _choice(detection_source, DetectionSource, "detection_source")
    matrix = priority_for(impact, urgency)
    now = timezone.now()
    if not roles & STAFF_ROLES:
        _refuse_staff_only_fields(priority, matrix, detection_source, detected_at, now)
    if priority is not None and priority != matrix:
        _choice(priority, Priority, "priority")
        _required(
            priority_justification,
            "priority_justification",
            f"Priority {priority} differs from the impact × urgency matrix ({matrix}); "
            "give a priority_justification.",
        )
    detected_at = detected_at or now
    if detected_at > now + CLOCK_SKEW:
        raise validation_error("detected_at is in the future.", detected_at="Must not be in the future.")
    if detected_at < now - DETECTED_AT_MAX_AGE:
        raise validation_error(
            f"detected_at is more than {DETECTED_AT_MAX_AGE.days} days in the past.",
            detected_at=f"Must be within the last {DETECTED_AT_MAX_AGE.days} days.",
        )
    with transaction.atomic():
        if reporter and reporter != actor.get_username():
            if not roles & STAFF_ROLES:
                raise DomainError(
                    ErrorCode.PERMISSION_DENIED, "End users report incidents in their own name only."
                )
            reporter_user = _active_user(reporter, "reporter")
        else:
            reporter_user = actor
        service = _active_service(affected_service)
        incident = Incident(
            title=title,
            description=description,
            category=category,
            subcategory=subcategory,
            impact=impact,
            urgency=urgency,
            priority=priority or matrix,
            priority_justification=priority_justification if priority else "",
            detection_source=detection_source,
            reporter=reporter_user,
            affected_service=service,
            detected_at=detected_at,
            logged_at=now,
        )
        incident.flag_personal_data_breach(is_personal_data_breach)
        refresh_deadlines(incident)
        # before the save: from the save on, this transaction holds the reference counter
        # that every other create waits for, so that stretch is kept short
        duplicates = incidents_possible_duplicates(actor=actor, service=service, title=incident.title)
        incident.save()
        audit_record(
            action="identify",
            obj=incident,
            actor=actor,
            changes={
                "status": [None, incident.status],
                "title": [None, incident.title],
                "category": [None, category],
                "priority": [None, incident.priority],
                "affected_service": [None, service.reference],
                "reporter": [None, reporter_user.get_username()],
                "detection_source": [None, detection_source],
            },
            extra={"possible_duplicates": [d.reference for d in duplicates]} if duplicates else None,
        )
    return incident, duplicates


def _refuse_staff_only_fields(priority, matrix, detection_source, detected_at, now) -> None:
    """SPEC.md, who sets what at creation: an explicit priority, the detection source and a
    detection time in the past drive paging and compliance, so they are for staff and
    integrations; end users give the rest (and may flag a personal-data breach)."""

    def refuse(field: str, message: str):
        return DomainError(
            ErrorCode.PERMISSION_DENIED, message, {field: ["Set by staff and integrations only."]}
        )

    if priority is not None and priority != matrix:
        raise refuse(
            "priority",
            "An explicit priority is set by the service desk: your report's priority comes from its "
            f"impact and urgency ({matrix}).",
        )
    if detection_source != DetectionSource.USER_REPORT:
        raise refuse(
            "detection_source",
            f"Reports from people are user_report; {detection_source} is set by staff and integrations.",
        )
    if detected_at is not None and detected_at < now - CLOCK_SKEW:
        raise refuse(
            "detected_at",
            "A detection time in the past is given by staff and integrations; your report is "
            "detected when you send it.",
        )


def _similar(a: str, b: str) -> bool:
    a, b = a.lower().strip(), b.lower().strip()
    if a in b or b in a:
        return True
    # SequenceMatcher's ratio is 2·M/(|a|+|b|) with M the characters of its matching blocks,
    # which never exceed a longest common subsequence: so the normalised Indel similarity
    # (2·LCS/(|a|+|b|), computed in C) bounds it from above, and most titles are ruled out
    # without the full (pure Python) match
    if Indel.normalized_similarity(a, b) < DUPLICATE_SIMILARITY:
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= DUPLICATE_SIMILARITY


DUPLICATE_FIELDS = ("id", "reference", "title", "status", "category", "created_at")


def incidents_possible_duplicates(*, actor, service: Service, title: str, exclude_pk=None) -> list[Incident]:
    """Active incidents on ``service`` from the last 24 h whose title resembles ``title``."""
    candidates = (
        incidents_visible_to(actor)
        .filter(
            affected_service=service,
            status__in=ACTIVE_STATUSES,
            created_at__gte=timezone.now() - DUPLICATE_WINDOW,
        )
        .exclude(pk=exclude_pk)
        .order_by("-created_at")
        .values_list("pk", "title")[:100]
    )
    # the first ten similar ones, newest first: stop comparing once they are found
    similar = list(itertools.islice((pk for pk, other in candidates if _similar(title, other)), 10))
    if not similar:
        return []
    found = Incident.objects.only(*DUPLICATE_FIELDS).in_bulk(similar)
    return [found[pk] for pk in similar]
