from dataclasses import dataclass

from audit.models import GENESIS_HASH, AuditEvent


@dataclass
class ChainBreak:
    seq: int
    event_id: int | None
    reason: str


def verify_chain(batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in seq order; return (events checked, first break or None)."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return checked, ChainBreak(
                expected_seq, None, f"event #{expected_seq} is missing (next found is #{event.seq})"
            )
        if event.prev_hash != prev_hash:
            return checked, ChainBreak(
                event.seq, event.pk, "its prev_hash does not match the previous event's hash"
            )
        if event.compute_hash() != event.hash:
            return checked, ChainBreak(event.seq, event.pk, "its content does not match its hash (modified)")
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    return checked, None
