"""The audit trail: append-only (database triggers) and tamper-evident (a hash chain).

Built on django-auditlog's swappable entry model, so auditlog's diff helpers, admin
rendering and (for configuration models, if registered) its signal-based logging all write
here. IMS services write their domain events through ``audit.services.audit_record``.
"""

import hashlib
import json

from auditlog.models import AbstractLogEntry
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


SYSTEM_ACTOR = "system"
GENESIS_HASH = "0" * 64


class AuditEvent(AbstractLogEntry):
    seq = models.BigIntegerField(unique=True, editable=False, help_text="Position in the chain.")
    domain_action = models.CharField(max_length=24, choices=AuditAction.choices, db_index=True)
    ref_type = models.CharField(max_length=32)
    ref_id = models.CharField(max_length=64, db_index=True)
    actor_label = models.CharField(max_length=150, help_text="Username, or 'system'.")
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta(AbstractLogEntry.Meta):
        ordering = ["-seq"]
        verbose_name = "audit event"
        verbose_name_plural = "audit events"
        indexes = [models.Index(fields=["ref_type", "ref_id", "seq"], name="audit_ref_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.domain_action} {self.ref_id} by {self.actor_label}"

    def chain_payload(self) -> str:
        """The canonical text the hash covers: every field that says what happened."""
        return json.dumps(
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
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256((self.prev_hash + self.chain_payload()).encode()).hexdigest()
