"""The audit trail: append-only (database triggers) and tamper-evident (a keyed hash chain
anchored by signed checkpoints).

Built on django-auditlog's swappable entry model, so auditlog's diff helpers, admin
rendering and (for configuration models, if registered) its signal-based logging all write
here. IMS services write their domain events through ``audit.services.audit_record``.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from functools import cache

from auditlog.models import AbstractLogEntry
from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    IDENTIFY = "identify"
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    NOTIFY = "notify"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    CLOSE = "close"
    REVIEW = "review"
    KB_UPDATE = "kb_update"
    VENDOR_ENGAGEMENT = "vendor_engagement"
    SIMULATION = "simulation"
    TOOL_USE = "tool_use"
    LINK = "link"
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"
    DELETE = "delete"


class HashScheme(models.IntegerChoices):
    # Rows written before the keyed chain: the table refuses UPDATE, so they keep the
    # scheme they were written with and are verified by it.
    LEGACY_SHA256 = 1, "SHA-256 of some columns, unkeyed (legacy)"
    HMAC_SHA256 = 2, "HMAC-SHA256 of every stored column"


SYSTEM_ACTOR = "system"
GENESIS_HASH = "0" * 64
# Domain separation: an event's MAC can never pass for a checkpoint's signature.
EVENT_MAC_CONTEXT = "ims-audit-event/2\n"
CHECKPOINT_MAC_CONTEXT = "ims-audit-checkpoint/1\n"


def audit_key() -> bytes:
    """The chain key, from the environment (settings.IMS_AUDIT_KEY), never the database."""
    return settings.IMS_AUDIT_KEY.encode()


def mac(context: str, payload: str) -> str:
    return hmac.new(audit_key(), (context + payload).encode(), hashlib.sha256).hexdigest()


def canonical_json(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def _canonical(value):
    if isinstance(value, datetime):
        # The database hands timestamps back in UTC whatever zone they were written in.
        return value.astimezone(UTC).isoformat()
    return value


class AuditEvent(AbstractLogEntry):
    seq = models.BigIntegerField(unique=True, editable=False, help_text="Position in the chain.")
    domain_action = models.CharField(max_length=24, choices=AuditAction.choices, db_index=True)
    ref_type = models.CharField(max_length=32)
    ref_id = models.CharField(max_length=150, db_index=True)  # a username is a user's reference
    actor_label = models.CharField(max_length=150, help_text="Username, or 'system'.")
    scheme = models.PositiveSmallIntegerField(
        choices=HashScheme.choices, default=HashScheme.HMAC_SHA256, editable=False
    )
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta(AbstractLogEntry.Meta):
        ordering = ["-seq"]
        verbose_name = "audit event"
        verbose_name_plural = "audit events"
        indexes = [models.Index(fields=["ref_type", "ref_id", "seq"], name="audit_ref_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.domain_action} {self.ref_id} by {self.actor_label}"

    @staticmethod
    @cache
    def hashed_fields() -> tuple[str, ...]:
        """Every stored column but the row id (assigned after hashing) and the hash itself,
        so a column added later is covered without anyone remembering to add it."""
        return tuple(
            field.attname for field in AuditEvent._meta.concrete_fields if field.name not in ("id", "hash")
        )

    def chain_payload(self) -> str:
        """The canonical text the keyed hash covers: every stored column."""
        return canonical_json({name: _canonical(getattr(self, name)) for name in self.hashed_fields()})

    def legacy_payload(self) -> str:
        """What the unkeyed scheme covered; kept byte for byte to verify rows written by it."""
        return canonical_json(
            {
                "seq": self.seq,
                "timestamp": self.timestamp.isoformat(),
                "action": self.action,
                "domain_action": self.domain_action,
                "ref_type": self.ref_type,
                "ref_id": self.ref_id,
                "actor_id": self.actor_id,
                "actor_label": self.actor_label,
                "content_type_id": self.content_type_id,
                "object_pk": self.object_pk,
                "object_repr": self.object_repr,
                "changes": self.changes,
                "additional_data": self.additional_data,
            }
        )

    def compute_hash(self) -> str:
        if self.scheme == HashScheme.LEGACY_SHA256:
            return hashlib.sha256((self.prev_hash + self.legacy_payload()).encode()).hexdigest()
        return mac(EVENT_MAC_CONTEXT, self.chain_payload())


class AuditCheckpoint(models.Model):
    """A signed (sequence, head hash) of the trail at a moment, written by
    ``manage.py audit_checkpoint`` outside the trail table (and to a file outside the
    database), so a truncated, rewritten or emptied trail no longer matches its anchor."""

    seq = models.BigIntegerField(help_text="Number of events in the trail when signed.")
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    signature = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"checkpoint at #{self.seq} ({self.created_at.isoformat()})"

    @staticmethod
    def signed_payload(seq: int, head_hash: str, created_at: datetime) -> str:
        return canonical_json({"seq": seq, "head_hash": head_hash, "created_at": _canonical(created_at)})

    def compute_signature(self) -> str:
        return mac(CHECKPOINT_MAC_CONTEXT, self.signed_payload(self.seq, self.head_hash, self.created_at))

    def as_line(self) -> str:
        """The checkpoint as one JSON line of the checkpoint file."""
        return canonical_json(
            {
                "seq": self.seq,
                "head_hash": self.head_hash,
                "created_at": _canonical(self.created_at),
                "signature": self.signature,
            }
        )
