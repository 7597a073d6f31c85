"""SLA policies (versioned) and the clocks targets are measured on."""

import time

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from audit.services import audit_record
from catalog.models import BusinessCalendar
from core.errors import DomainError, ErrorCode, validation_error
from core.roles import Role, has_any_role
from sla.clock import BusinessHours
from sla.models import Clock, SlaPolicy, SlaTarget

PRIORITIES = ("P1", "P2", "P3", "P4")
POLICY_EDITORS = (Role.INCIDENT_MANAGER, Role.ADMIN)


def sla_policy_current() -> SlaPolicy | None:
    return SlaPolicy.objects.order_by("-version").first()


# Published policy versions never change, so their targets are cached per process.
_TARGETS: dict[tuple, dict[str, SlaTarget]] = {}
# Calendars (and their closures) can be edited: cached for a short while only.
CALENDAR_CACHE_SECONDS = 60
_CALENDARS: dict[tuple, tuple[float, BusinessHours]] = {}


def sla_targets(policy: SlaPolicy) -> dict[str, SlaTarget]:
    key = (policy.pk, policy.created_at)
    cached = _TARGETS.get(key)
    if cached is None:
        cached = {t.priority: t for t in SlaTarget.objects.filter(policy_id=policy.pk)}
        if len(cached) == len(PRIORITIES):  # complete versions only (publish writes them whole)
            _TARGETS[key] = cached
    return cached


def sla_policy_publish(*, actor, targets: dict[str, dict], note: str = "") -> SlaPolicy:
    """Publish a new policy version (incident managers and admins). It applies to
    incidents logged from now on; open incidents keep the version they were logged under."""
    if not has_any_role(actor, *POLICY_EDITORS):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, "Only an incident manager or an admin may change the SLA policy."
        )
    unknown = sorted(set(targets) - set(PRIORITIES))
    if unknown:
        raise validation_error(
            f"Unknown priorit{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
            f"targets are set for {', '.join(PRIORITIES)}.",
            targets=f"Unknown: {', '.join(unknown)}.",
        )
    missing = [p for p in PRIORITIES if p not in targets]
    if missing:
        raise validation_error(
            f"A policy needs targets for every priority; missing {', '.join(missing)}.",
            targets=f"Missing {', '.join(missing)}.",
        )
    rows = []
    for priority in PRIORITIES:
        spec = targets[priority]
        ack, resolve = spec.get("acknowledge_minutes"), spec.get("resolve_minutes")
        update, clock = spec.get("update_every_minutes"), spec.get("clock")
        if not isinstance(ack, int) or not isinstance(resolve, int) or ack <= 0 or resolve <= 0:
            raise validation_error(
                f"{priority}: acknowledge_minutes and resolve_minutes must be positive whole minutes.",
                targets=f"{priority}: invalid durations.",
            )
        if ack > resolve:
            raise validation_error(
                f"{priority}: the acknowledge target cannot exceed the resolve target.",
                targets=f"{priority}: acknowledge > resolve.",
            )
        if update is not None and (not isinstance(update, int) or update <= 0):
            raise validation_error(
                f"{priority}: update_every_minutes must be a positive whole number or null.",
                targets=f"{priority}: invalid update cadence.",
            )
        if clock not in Clock.values:
            raise validation_error(
                f"{priority}: clock must be one of {', '.join(Clock.values)}.",
                targets=f"{priority}: invalid clock.",
            )
        rows.append((priority, ack, resolve, update, clock))
    with transaction.atomic():
        current = SlaPolicy.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
        policy = SlaPolicy.objects.create(version=current + 1, note=note.strip(), created_by=actor)
        SlaTarget.objects.bulk_create(
            SlaTarget(
                policy=policy,
                priority=p,
                acknowledge_minutes=a,
                resolve_minutes=r,
                update_every_minutes=u,
                clock=c,
            )
            for p, a, r, u, c in rows
        )
        audit_record(
            action="update",
            obj=policy,
            actor=actor,
            ref=f"SLA-v{policy.version}",
            ref_type="sla_policy",
            changes={
                "version": [current or None, policy.version],
                "targets": [None, {p: [a, r, u, c] for p, a, r, u, c in rows}],
            },
        )
    return policy


# which calendar is the default: [(expires, calendar)], cached for as long as calendars are
_DEFAULT_CALENDAR: list = []


def default_calendar() -> BusinessCalendar | None:
    if _DEFAULT_CALENDAR and _DEFAULT_CALENDAR[0][0] > time.monotonic():
        return _DEFAULT_CALENDAR[0][1]
    name = getattr(settings, "IMS_DEFAULT_CALENDAR", "")
    qs = BusinessCalendar.objects.all()
    found = (qs.filter(name=name).first() if name else None) or qs.filter(name__startswith="Office").first()
    _DEFAULT_CALENDAR[:] = [(time.monotonic() + CALENDAR_CACHE_SECONDS, found)]
    return found


def business_hours_for(calendar: BusinessCalendar | None) -> BusinessHours:
    if calendar is None:
        return BusinessHours()
    key = (calendar.pk, calendar.updated_at)
    hit = _CALENDARS.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    hours = BusinessHours(
        time_zone=calendar.time_zone,
        working_days=frozenset(calendar.working_days),
        day_start=calendar.day_start,
        day_end=calendar.day_end,
        holiday_country=calendar.holiday_country,
        holiday_subdivision=calendar.holiday_subdivision,
        closures=frozenset(calendar.closures.values_list("date", flat=True)),
    )
    _CALENDARS[key] = (time.monotonic() + CALENDAR_CACHE_SECONDS, hours)
    return hours


def sla_caches_clear() -> None:
    """Forget cached targets and calendars (between tests; calendars also expire)."""
    _TARGETS.clear()
    _CALENDARS.clear()
    _DEFAULT_CALENDAR.clear()


def clock_for(target: SlaTarget, calendar: BusinessCalendar | None) -> BusinessHours | None:
    """None (24×7) or the business hours targets of ``target`` are measured on."""
    if target.clock == Clock.ALWAYS:
        return None
    return business_hours_for(calendar or default_calendar())
