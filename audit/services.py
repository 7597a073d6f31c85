"""The one writer of the audit trail."""

import json

from auditlog.models import AbstractLogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from audit.models import GENESIS_HASH, SYSTEM_ACTOR, AuditAction, AuditEvent

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


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: IMMEDIATE transactions already hold the database's single write lock.


def append_event(event: AuditEvent) -> AuditEvent:
    """Chain and insert ``event``. Must run inside the caller's transaction: a failure here
    fails the caller's whole operation (no savepoint to fall back to)."""
    with transaction.atomic(savepoint=False):
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        event.seq, event.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event.changes = _json_safe(event.changes)
        event.additional_data = _json_safe(event.additional_data)
        event.timestamp = event.timestamp or timezone.now()
        event.hash = event.compute_hash()
        AuditEvent.objects.bulk_create([event])  # plain INSERT, no signals
    return event


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
    action = AuditAction(action)
    event = AuditEvent(
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
        changes=changes,
        changes_text="",
        additional_data=extra,
        timestamp=timezone.now(),
    )
    return append_event(event)
