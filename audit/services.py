"""The one writer of the audit trail."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from auditlog.models import AbstractLogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from audit.deltas import minimal_changes
from audit.models import GENESIS_HASH, SYSTEM_ACTOR, AuditAction, AuditEvent, HashScheme
from core.deferred import DeferredRows

# pg_advisory_xact_lock key for the chain: one writer extends the chain at a time, and the
# lock is held to commit, so chain order is commit order.
_CHAIN_LOCK_KEY = 7_190_001

_AUDITLOG_ACTION = {
    AuditAction.CREATE: AbstractLogEntry.Action.CREATE,
    AuditAction.IDENTIFY: AbstractLogEntry.Action.CREATE,
    AuditAction.READ: AbstractLogEntry.Action.ACCESS,
    AuditAction.DELETE: AbstractLogEntry.Action.DELETE,
}


def _json_safe(value):
    # Store exactly what the hash covers: the JSON round trip of the value.
    return None if value is None else json.loads(json.dumps(value, default=str))


_REMOTE_ADDR = AuditEvent._meta.get_field("remote_addr")


def _as_stored(event: AuditEvent) -> None:
    """Give ``event`` the values the database will hand back, so the hash computed now is
    the hash verify computes from the stored row (no extra query: all in Python)."""
    event.changes = _json_safe(event.changes)
    event.additional_data = _json_safe(event.additional_data)
    event.serialized_data = _json_safe(event.serialized_data)
    event.timestamp = event.timestamp or timezone.now()
    if event.remote_addr:
        event.remote_addr = _REMOTE_ADDR.to_python(event.remote_addr)  # IPv6 in canonical form


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: IMMEDIATE transactions already hold the database's single write lock.


def append_event(event: AuditEvent) -> AuditEvent:
    """Chain and insert ``event``. Must run inside the caller's transaction: a failure here
    fails the caller's whole operation (no savepoint to fall back to)."""
    return append_events([event])[0]


# The batch whose events append_events collects instead of writing (audit_chain_deferred).
_DEFERRED: ContextVar[DeferredRows | None] = ContextVar("audit_deferred", default=None)


def append_events(events: list[AuditEvent]) -> list[AuditEvent]:
    """Chain and insert ``events`` in order, with one lock and one INSERT for all of them;
    inside ``audit_chain_deferred`` only collect them (chained and written when it ends)."""
    if not events:
        return events
    deferred = _DEFERRED.get()
    if deferred is not None:
        deferred.add(events)
        return events
    return _chain_and_insert(events)


@contextmanager
def audit_chain_deferred() -> Iterator[None]:
    """For a batch of operations in the caller's transaction (the SLA sweep's): the events
    they append are chained and written together when the block ends, with one chain lock,
    one read of the chain's head and one INSERT for the batch, and the lock held from that
    write to the commit rather than for the whole batch. Events appended in a savepoint
    that was rolled back are left out, so they never take a place in the chain. Until the
    block ends the events have no seq or hash. Leaving it by an exception writes nothing
    (the caller's transaction is failing)."""
    if _DEFERRED.get() is not None:
        raise RuntimeError("audit_chain_deferred does not nest")
    deferred = DeferredRows()
    token = _DEFERRED.set(deferred)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
    events = deferred.surviving()
    if events:
        _chain_and_insert(events)


def _chain_and_insert(events: list[AuditEvent]) -> list[AuditEvent]:
    with transaction.atomic(savepoint=False):
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = last if last else (0, GENESIS_HASH)
        for event in events:
            seq += 1
            event.seq, event.prev_hash, event.scheme = seq, prev_hash, HashScheme.HMAC_SHA256
            _as_stored(event)
            event.hash = prev_hash = event.compute_hash()
        AuditEvent.objects.bulk_create(events)  # plain INSERT, no signals
    return events


def build_event(
    *, action: str, obj, actor=None, ref=None, ref_type=None, changes=None, extra=None, at=None
) -> AuditEvent:
    """An unsaved, unchained event for ``obj`` (``at``: when it happened, default now);
    append_events chains and writes it. Services call audit_record instead."""
    action = AuditAction(action)
    return AuditEvent(
        content_type=ContentType.objects.get_for_model(obj.__class__),
        object_pk=str(obj.pk),
        object_id=obj.pk if isinstance(obj.pk, int) else None,
        object_repr=str(obj)[:200],
        action=_AUDITLOG_ACTION.get(action, AbstractLogEntry.Action.UPDATE),
        domain_action=action,
        ref_type=ref_type or obj._meta.model_name,
        ref_id=ref or getattr(obj, "reference", None) or str(obj.pk),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor.get_username() if actor is not None and actor.is_authenticated else SYSTEM_ACTOR,
        actor_email=(getattr(actor, "email", "") or None) if actor is not None else None,
        changes=minimal_changes(changes),
        changes_text="",
        additional_data=extra,
        timestamp=at or timezone.now(),
    )


def audit_record(
    *,
    action: str,
    obj,
    actor=None,
    ref: str | None = None,
    ref_type: str | None = None,
    changes: dict | None = None,
    extra: dict | None = None,
) -> AuditEvent:
    """Write one audit event for ``obj`` inside the current transaction.

    ``actor`` is a user, or None for the system (automatic actions). ``changes`` is the
    minimal field delta ``{field: [old, new]}``; never raw payloads. If this write fails the
    caller's transaction fails with it, so nothing is saved unaudited.
    """
    return append_event(
        build_event(
            action=action, obj=obj, actor=actor, ref=ref, ref_type=ref_type, changes=changes, extra=extra
        )
    )


def audit_record_each(*, action: str, objs: list, actor=None, extra: dict | None = None) -> list[AuditEvent]:
    """One event per object of ``objs`` (same action and actor), written together."""
    return append_events([build_event(action=action, obj=obj, actor=actor, extra=extra) for obj in objs])


def audit_trail_read(
    *, actor, via: str, event: AuditEvent | None = None, filters: dict | None = None
) -> AuditEvent:
    """Reading the trail is itself audited (issue 15; seed 001 audits every read where access
    is controlled): one ``read`` event per request, ref_type ``audit``, ref the opened
    event's seq, or ``trail`` for a list with the filters it used."""
    if event is not None:
        read = build_event(
            action=AuditAction.READ, obj=event, actor=actor, ref=str(event.seq), ref_type="audit"
        )
        read.additional_data = {"via": via}
    else:
        read = build_event(
            action=AuditAction.READ, obj=AuditEvent(), actor=actor, ref="trail", ref_type="audit"
        )
        read.object_pk, read.object_id, read.object_repr = "", None, "audit trail"
        read.additional_data = {"via": via, "filters": filters or {}}
    with transaction.atomic():
        return append_event(read)


def audit_record_lookup(*, model, actor, filters: dict, via: str) -> AuditEvent:
    """SOP 1 (entity lookup): one ``identify`` event naming the entity type and the filters
    used, nothing of what was found (seed 001: "store only entity type + filters used")."""
    event = build_event(
        action=AuditAction.IDENTIFY, obj=model(), actor=actor, ref="lookup", ref_type=model._meta.model_name
    )
    event.object_pk, event.object_id = "", None
    event.object_repr = f"{model._meta.verbose_name} lookup"
    event.additional_data = {"via": via, "filters": filters}
    with transaction.atomic():
        return append_event(event)
