"""SOP 16: monitoring events in, one or a batch. Idempotent by (source, event_id); an event
whose dedup key matches an active incident attaches to it; otherwise the first matching
intake rule may open an incident (through the incident's create service) and the service
desk is notified; the rest are stored only.

A batch costs a constant number of queries besides the incidents it opens: one for the
services, one for the known event ids, one for the open dedup rows, one for the rules,
bulk inserts of the events and their audit events.
"""

import json
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import append_events, build_event
from catalog.models import Service
from communications.models import Kind, Recipients
from communications.services import communication_record
from core.errors import DomainError, validation_error
from core.models import ReferenceCounter, allocate_reference
from incidents.choices import ACTIVE_STATUSES
from incidents.services import incident_create
from incidents.services.sop.base import DETECTED_AT_MAX_AGE
from monitoring.choices import Outcome
from monitoring.models import RAW_LIMIT, Event, IncidentAlert, IntakeRule
from monitoring.policy import authorize_post
from monitoring.services.validate import Item, ItemError, parse_item

__all__ = ["BATCH_LIMIT", "ItemResult", "events_ingest", "truncate_raw"]

BATCH_LIMIT = 1000


@dataclass
class ItemResult:
    index: int
    event: Event | None = None
    created: bool = False
    error: DomainError | None = None
    extra: dict = field(default_factory=dict)


def truncate_raw(data) -> str:
    text = data if isinstance(data, str) else json.dumps(data, default=str, separators=(",", ":"))
    encoded = text.encode()
    return text if len(encoded) <= RAW_LIMIT else encoded[:RAW_LIMIT].decode(errors="ignore")


def _allocate(prefix: str, n: int) -> list[str]:
    """``n`` consecutive references with two statements (the counter row stays locked)."""
    if n == 0:
        return []
    first = int(allocate_reference(prefix).split("-")[1])
    if n > 1:
        ReferenceCounter.objects.filter(prefix=prefix).update(last_value=F("last_value") + (n - 1))
    return [f"{prefix}-{first + i:06d}" for i in range(n)]


def events_ingest(*, actor, items: list, intake_token: bool = False) -> list[ItemResult]:
    """Take posted event objects; answer one result per item, in order."""
    authorize_post(actor, intake_token=intake_token)
    if not items:
        raise validation_error("Post one event or a list of events.", events="Empty list.")
    if len(items) > BATCH_LIMIT:
        raise validation_error(
            f"{len(items)} events in one request; the limit is {BATCH_LIMIT}. Split the batch.",
            events=f"At most {BATCH_LIMIT}.",
        )
    now = timezone.now()
    results = [ItemResult(index=i) for i in range(len(items))]
    parsed: dict[int, Item] = {}
    for i, data in enumerate(items):
        try:
            parsed[i] = parse_item(data, truncate_raw(data), now)
        except ItemError as exc:
            results[i].error = validation_error(exc.message, **exc.fields)
    services = Service.objects.in_bulk({p.service_ref for p in parsed.values()}, field_name="reference")
    for i, item in list(parsed.items()):
        service = services.get(item.service_ref)
        if service is None or not service.is_active:
            results[i].error = validation_error(
                f"No active service {item.service_ref}; name a service of the catalog (SVC-…).",
                service="Unknown or inactive service.",
            )
            del parsed[i]
    for attempt in range(2):
        if not parsed:
            break
        try:
            with transaction.atomic():
                _ingest(actor, parsed, services, results, now)
            break
        except IntegrityError:
            # a concurrent request stored one of these event ids first: run again, and
            # that event is answered as the replay it is
            if attempt:
                raise
            for i in parsed:
                results[i] = ItemResult(index=i)
    return results


def _ingest(actor, parsed: dict[int, Item], services: dict, results: list[ItemResult], now) -> None:
    ids = {p.event_id for p in parsed.values() if p.event_id}
    known = {}
    if ids:
        rows = Event.objects.filter(event_id__in=ids).select_related("service", "incident", "rule")
        known = {(e.source, e.event_id): e for e in rows}
    _lock_keys({p.dedup_key for p in parsed.values()})
    alerts: dict[str, IncidentAlert] = {}
    for alert in (
        IncidentAlert.objects.filter(
            dedup_key__in={p.dedup_key for p in parsed.values()}, incident__status__in=ACTIVE_STATUSES
        )
        .select_related("incident")
        .order_by("last_seen")
    ):
        alerts[alert.dedup_key] = alert  # the most recently seen wins
    rules = list(IntakeRule.objects.filter(is_active=True))
    new_events: list[Event] = []
    new_alerts: list[IncidentAlert] = []
    touched: dict[int, IncidentAlert] = {}
    for i, item in parsed.items():
        if item.event_id and (item.source, item.event_id) in known:
            results[i].event = known[(item.source, item.event_id)]
            continue
        service = services[item.service_ref]
        event = Event(
            source=item.source, service=service, alert_type=item.alert_type, severity=item.severity,
            occurred_at=item.occurred_at, event_id=item.event_id or "", dedup_key=item.dedup_key,
            summary=item.summary, raw=item.raw, posted_by=actor, received_at=now,
        )  # fmt: skip
        alert = alerts.get(item.dedup_key)
        if alert is not None:
            alert.count += 1
            alert.first_seen = min(alert.first_seen, item.occurred_at)
            alert.last_seen = max(alert.last_seen, item.occurred_at)
            alert.cleared_at = None
            if alert.pk:
                touched[alert.pk] = alert
            event.incident, event.outcome = alert.incident, Outcome.ATTACHED
        else:
            rule = next(
                (r for r in rules if r.matches(source=item.source, service_id=service.pk,
                                               alert_type=item.alert_type, severity=item.severity)),
                None,
            )  # fmt: skip
            event.rule = rule
            if rule is not None and rule.opens_incident:
                event.incident = _open_incident(actor, item, service, rule, now)
                event.outcome = Outcome.OPENED
                alert = IncidentAlert(
                    incident=event.incident, dedup_key=item.dedup_key, count=1,
                    first_seen=item.occurred_at, last_seen=item.occurred_at,
                )  # fmt: skip
                alerts[item.dedup_key] = alert
                new_alerts.append(alert)
        new_events.append(event)
        results[i].event, results[i].created = event, True
        if item.event_id:  # the same id again in this batch answers this event
            known[(item.source, item.event_id)] = event
    for event, reference in zip(new_events, _allocate(Event.REFERENCE_PREFIX, len(new_events)), strict=True):
        event.reference = reference
    Event.objects.bulk_create(new_events)
    IncidentAlert.objects.bulk_create(new_alerts)
    if touched:
        IncidentAlert.objects.bulk_update(
            list(touched.values()), ["count", "first_seen", "last_seen", "cleared_at"]
        )
    append_events(
        [
            build_event(
                action="create",
                obj=e,
                actor=actor,
                changes={
                    "alert_type": [None, e.alert_type],
                    "severity": [None, e.severity],
                    "outcome": [None, e.outcome],
                    "incident": [None, e.incident.reference if e.incident_id else None],
                },
                extra={"source": "monitoring", "dedup_key": e.dedup_key},
            )  # fmt: skip
            for e in new_events
        ]
    )


def _lock_keys(keys: set[str]) -> None:
    """Serialize the requests that carry the same dedup keys (PostgreSQL: transaction-scoped
    advisory locks, taken in one statement in a fixed order, so no two requests wait on each
    other crosswise): two batches firing the same new alert open one incident, not two.
    SQLite runs one writer at a time already."""
    if connection.vendor != "postgresql" or not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 1604)))"
            " FROM (SELECT unnest(%s::text[]) AS k ORDER BY 1) AS keys",
            [sorted(keys)],
        )


def _open_incident(actor, item: Item, service, rule: IntakeRule, now):
    detected_at = item.occurred_at if now - item.occurred_at < DETECTED_AT_MAX_AGE else None
    title = f"{item.alert_type} on {service.name}" + (f": {item.summary}" if item.summary else "")
    incident, _ = incident_create(
        actor=actor,
        title=title[:200],
        description=f"Opened by monitoring ({item.source}, {item.severity}): "
        f"{item.summary or item.alert_type}. Dedup key {item.dedup_key}.",
        category=rule.category,
        impact=rule.impact,
        urgency=rule.urgency,
        affected_service=service.reference,
        detection_source=item.source,
        detected_at=min(detected_at, now) if detected_at else None,
    )
    notice = communication_record(
        subject_ref=incident.reference,
        sender=None,
        recipients=[Recipients.TEAM],
        recipient_detail="service_desk",
        kind=Kind.UPDATE,
        message=f"Monitoring opened {incident.reference} ({incident.priority}) on {service.name}: "
        f"{item.alert_type}, {item.severity}. Dedup key {item.dedup_key}.",
    )
    append_events(
        [
            build_event(
                action="notify",
                obj=incident,
                changes={"communication": [None, notice.reference]},
                extra={"source": "monitoring", "recipients": ["team:service_desk"]},
            )
        ]
    )
    return incident
