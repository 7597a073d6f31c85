"""Signed checkpoints of the trail's head, written by ``manage.py audit_checkpoint`` (beat
runs it through ``audit.tasks.audit_checkpoint``)."""

import os
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditCheckpoint, AuditEvent
from audit.verify import Anchor, checkpoint_file, last_anchor_in_file, verify_since

# Serializes checkpoint writers (two beats, a manual run) so one head is signed once.
_CHECKPOINT_LOCK_KEY = 7_190_002


class AuditTamperError(Exception):
    """The trail no longer matches its last checkpoint: nothing is signed over it."""


@dataclass
class CheckpointResult:
    checkpoint: AuditCheckpoint | None
    message: str


def _last_anchor() -> Anchor | None:
    # The database's newest, or the file's if further along: a checkpoint deleted from the
    # table must not let a truncated trail be signed afresh.
    row = AuditCheckpoint.objects.order_by("-created_at", "-id").first()
    from_db = Anchor(row.seq, row.head_hash, row.created_at, row.signature, "database") if row else None
    from_file = last_anchor_in_file()
    candidates = [a for a in (from_db, from_file) if a is not None]
    return max(candidates, key=lambda a: (a.seq, a.created_at)) if candidates else None


def _append_to_file(checkpoint: AuditCheckpoint) -> None:
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(checkpoint.as_line() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def checkpoint_record() -> CheckpointResult:
    """Sign the trail's current (seq, head hash) into the checkpoint table and the checkpoint
    file, after checking the events since the last checkpoint (raises AuditTamperError if
    they do not hold, so a tampered head is never anchored). Nothing new: nothing written.

    The head is read without the chain lock: the lock is held to commit, so a committed
    event at seq N means every event before it is committed too."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHECKPOINT_LOCK_KEY])
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        last = _last_anchor()
        if problem := verify_since(last):
            raise AuditTamperError(f"No checkpoint written. {problem}")
        if head is None:
            return CheckpointResult(None, "No checkpoint written: the audit trail is empty.")
        if last is not None and (last.seq, last.head_hash) == head:
            return CheckpointResult(
                None, f"No checkpoint written: no event since the checkpoint at #{last.seq}."
            )
        checkpoint = AuditCheckpoint(seq=head[0], head_hash=head[1], created_at=timezone.now())
        checkpoint.signature = checkpoint.compute_signature()
        checkpoint.save()
    # After the row commits (or with the caller's transaction): a file line for a
    # checkpoint the database never kept would read as a deleted checkpoint.
    _append_to_file(checkpoint)
    return CheckpointResult(
        checkpoint,
        f"Checkpoint written: event #{checkpoint.seq}, head {checkpoint.head_hash[:16]}…, "
        f"to the database and {checkpoint_file()}.",
    )
