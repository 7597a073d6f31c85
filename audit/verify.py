"""Verification of the audit trail: the keyed hash chain row by row (each row by the scheme
it was written with) and the signed checkpoints that anchor its head.

The chain alone shows a changed value or a gap; only the checkpoints (signed with a key
the database does not hold, and also kept in a file outside it) show a truncated tail, an
emptied table, or a range rewritten with the unkeyed legacy scheme.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings

from audit.models import CHECKPOINT_MAC_CONTEXT, GENESIS_HASH, AuditCheckpoint, AuditEvent, HashScheme, mac


@dataclass
class ChainBreak:
    seq: int
    event_id: int | None
    reason: str

    def message(self, checked: int) -> str:
        ident = f" (id {self.event_id})" if self.event_id else ""
        return (
            f"Audit chain broken at event #{self.seq}{ident}: {self.reason}. "
            f"{checked} event(s) before it verified."
        )


@dataclass(frozen=True)
class Anchor:
    """A checkpoint as read back from the database or the checkpoint file."""

    seq: int
    head_hash: str
    created_at: datetime
    signature: str
    source: str  # "database" or "<file> line N"

    @property
    def signature_valid(self) -> bool:
        payload = AuditCheckpoint.signed_payload(self.seq, self.head_hash, self.created_at)
        return mac(CHECKPOINT_MAC_CONTEXT, payload) == self.signature

    def describe(self) -> str:
        return f"the checkpoint signed {self.created_at.isoformat()} ({self.source})"


class CheckpointFileError(ValueError):
    pass


def checkpoint_file() -> Path:
    return Path(settings.IMS_AUDIT_CHECKPOINT_FILE)


def _anchor_from_line(line: str, source: str) -> Anchor:
    try:
        data = json.loads(line)
        return Anchor(
            seq=int(data["seq"]),
            head_hash=str(data["head_hash"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            signature=str(data["signature"]),
            source=source,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointFileError(f"{source} is not a checkpoint ({exc})") from exc


def anchors_in_database() -> list[Anchor]:
    rows = AuditCheckpoint.objects.order_by("created_at", "id").values_list(
        "seq", "head_hash", "created_at", "signature"
    )
    return [Anchor(*row, source="database") for row in rows]


def anchors_in_file(path: Path | None = None) -> list[Anchor] | None:
    """Every checkpoint of the file, None when there is no file."""
    path = path or checkpoint_file()
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as lines:
        return [
            _anchor_from_line(line, f"{path} line {number}")
            for number, line in enumerate(lines, start=1)
            if line.strip()
        ]


def last_anchor_in_file(path: Path | None = None) -> Anchor | None:
    """The file's newest checkpoint, read from its end (the file only grows)."""
    path = path or checkpoint_file()
    if not path.exists():
        return None
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - 8192))
        tail = handle.read().decode("utf-8", errors="replace").splitlines()
    lines = [line for line in tail if line.strip()]
    return _anchor_from_line(lines[-1], f"{path} (last line)") if lines else None


@dataclass
class Walk:
    checked: int = 0
    legacy: int = 0
    last_seq: int = 0
    broken: ChainBreak | None = None


def _walk(events, *, expected_seq=1, prev_hash=GENESIS_HASH, anchors=None) -> Walk:
    """Check ``events`` (in seq order) link by link, each by its own scheme, and against
    the checkpoints ``anchors`` ({seq: [Anchor]}) at their seq."""
    walk, keyed_seen, anchors = Walk(last_seq=expected_seq - 1), False, anchors or {}
    for event in events:
        if event.seq != expected_seq:
            walk.broken = ChainBreak(
                expected_seq, None, f"event #{expected_seq} is missing (next found is #{event.seq})"
            )
            return walk
        if event.prev_hash != prev_hash:
            walk.broken = ChainBreak(
                event.seq, event.pk, "its prev_hash does not match the previous event's hash"
            )
            return walk
        if event.scheme not in HashScheme.values:
            walk.broken = ChainBreak(event.seq, event.pk, f"its hash scheme {event.scheme} is unknown")
            return walk
        if event.scheme == HashScheme.LEGACY_SHA256 and keyed_seen:
            # Legacy rows only ever precede the keyed chain: one after it was rewritten
            # by someone without the key.
            walk.broken = ChainBreak(
                event.seq, event.pk, "it uses the legacy unkeyed hash after keyed events (rewritten)"
            )
            return walk
        if event.compute_hash() != event.hash:
            walk.broken = ChainBreak(event.seq, event.pk, "its content does not match its hash (modified)")
            return walk
        for anchor in anchors.get(event.seq, ()):
            if anchor.head_hash != event.hash:
                walk.broken = ChainBreak(
                    event.seq,
                    event.pk,
                    f"its hash does not match {anchor.describe()}, so events up to it were rewritten",
                )
                return walk
        keyed_seen = keyed_seen or event.scheme == HashScheme.HMAC_SHA256
        walk.legacy += event.scheme == HashScheme.LEGACY_SHA256
        prev_hash, expected_seq, walk.checked, walk.last_seq = (
            event.hash,
            expected_seq + 1,
            walk.checked + 1,
            event.seq,
        )
    return walk


def verify_chain(batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in seq order; return (events checked, first break or None).
    The chain only: verify_trail also checks it against the checkpoints."""
    walk = _walk(AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size))
    return walk.checked, walk.broken


def _tail_problem(last_seq: int, newest: Anchor) -> str | None:
    if last_seq >= newest.seq:
        return None
    if last_seq == 0:
        return (
            f"Audit trail emptied: it has no events, but {newest.describe()} records {newest.seq} event(s)."
        )
    return (
        f"Audit trail truncated: it ends at event #{last_seq}, but {newest.describe()} records "
        f"{newest.seq} event(s); events #{last_seq + 1} to #{newest.seq} are gone."
    )


@dataclass
class TrailReport:
    events: int = 0
    legacy: int = 0
    in_database: int = 0
    in_file: int | None = None  # None: no checkpoint file found
    checkpoints: int = 0
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        lines = [f"Audit trail intact: {self.events} event(s) and {self.checkpoints} checkpoint(s) verified."]
        if self.legacy:
            lines.append(f"{self.legacy} legacy unkeyed event(s) precede the keyed chain.")
        return " ".join(lines + self.notes)


def verify_trail(batch_size: int = 2000) -> TrailReport:
    """The whole check of ``manage.py audit_verify``: every checkpoint's signature, every
    event by its scheme, every checkpoint's head hash at its seq, and the trail's end
    against the newest checkpoint."""
    report = TrailReport()
    try:
        from_db, from_file = anchors_in_database(), anchors_in_file()
    except CheckpointFileError as exc:
        report.problem = f"Audit checkpoint file unreadable: {exc}."
        return report
    anchors = from_db + (from_file or [])
    for anchor in anchors:
        if not anchor.signature_valid:
            report.problem = (
                f"Audit checkpoint forged: {anchor.describe()} at #{anchor.seq} has an invalid signature "
                "(not made with this key)."
            )
            return report
    distinct: dict[str, Anchor] = {}
    for anchor in anchors:  # the database's copy of a checkpoint names it, else the file's
        distinct.setdefault(anchor.signature, anchor)
    by_seq = defaultdict(list)
    for anchor in distinct.values():
        by_seq[anchor.seq].append(anchor)
    report.in_database, report.in_file = len(from_db), None if from_file is None else len(from_file)
    report.checkpoints = sum(len(group) for group in by_seq.values())

    walk = _walk(AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size), anchors=by_seq)
    report.events, report.legacy = walk.checked, walk.legacy
    if walk.broken:
        report.problem = walk.broken.message(walk.checked)
        return report
    if anchors:
        newest = max(anchors, key=lambda a: (a.seq, a.created_at))
        if problem := _tail_problem(walk.last_seq, newest):
            report.problem = problem
            return report
    if from_file is not None:
        lacking = {a.signature for a in from_file} - {a.signature for a in from_db}
        if lacking:
            newest = max((a for a in from_file if a.signature in lacking), key=lambda a: a.seq)
            report.problem = (
                f"Audit checkpoints deleted: the checkpoint table lacks {len(lacking)} checkpoint(s) "
                f"recorded in {checkpoint_file()}, the newest at #{newest.seq} "
                f"({newest.created_at.isoformat()})."
            )
            return report
    if not anchors:
        report.notes.append("No checkpoint yet: run manage.py audit_checkpoint.")
    elif from_file is None:
        report.notes.append(
            f"The checkpoint file {checkpoint_file()} was not found: checked against the database's "
            "checkpoints only."
        )
    return report


def verify_since(anchor: Anchor | None) -> str | None:
    """What audit_checkpoint checks before signing a new head: the events from ``anchor``
    (the last checkpoint; all of them when None) on, and that it still matches. Cheap on
    a schedule: only the events since the last checkpoint are read. None when sound."""
    if anchor is None:
        walk = _walk(AuditEvent.objects.order_by("seq").iterator(chunk_size=2000))
        return walk.broken.message(walk.checked) if walk.broken else None
    if not anchor.signature_valid:
        return (
            f"Audit checkpoint forged: {anchor.describe()} at #{anchor.seq} has an invalid signature "
            "(not made with this key)."
        )
    first = AuditEvent.objects.filter(seq=anchor.seq).first()
    if first is None:
        last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        return _tail_problem(last_seq, anchor) or f"Audit chain broken at event #{anchor.seq}: it is missing."
    events = AuditEvent.objects.filter(seq__gte=anchor.seq).order_by("seq").iterator(chunk_size=2000)
    walk = _walk(events, expected_seq=anchor.seq, prev_hash=first.prev_hash, anchors={anchor.seq: [anchor]})
    return walk.broken.message(walk.checked) if walk.broken else None
