"""Recording communications. Callers authorize and audit; this only validates and writes."""

from communications.models import Channel, Communication, DeliveryStatus, Kind, Recipients
from communications.outbox import deliveries_queue
from core.errors import validation_error

MESSAGE_LIMIT = 4_000


def communication_record(
    *,
    subject_ref: str,
    sender,
    recipients: list[str],
    message: str,
    channel: str = Channel.IMS,
    kind: str = Kind.UPDATE,
    recipient_detail: str = "",
) -> Communication:
    """Record a message about ``subject_ref`` (SOP 12). Runs inside the caller's transaction."""
    if not recipients:
        raise validation_error("Name at least one recipient group.", recipients="This field is required.")
    unknown = sorted(set(recipients) - set(Recipients.values))
    if unknown:
        raise validation_error(
            f"Unknown recipient group(s): {', '.join(unknown)}. Use {', '.join(Recipients.values)}.",
            recipients=f"Unknown: {', '.join(unknown)}",
        )
    if channel not in Channel.values:
        raise validation_error(
            f"Channel must be one of {', '.join(Channel.values)}.", channel="Invalid choice."
        )
    if not message or not message.strip():
        raise validation_error("A message is required.", message="This field is required.")
    if len(message.strip()) > MESSAGE_LIMIT:
        raise validation_error(
            f"message is {len(message.strip())} characters long; the limit is {MESSAGE_LIMIT}.",
            message=f"At most {MESSAGE_LIMIT} characters.",
        )
    communication = Communication.objects.create(
        subject_ref=subject_ref,
        sender=sender if sender is not None and sender.is_authenticated else None,
        recipients=sorted(set(recipients)),
        recipient_detail=recipient_detail,
        message=message.strip(),
        channel=channel,
        kind=kind,
        delivery_status=DeliveryStatus.RECORDED if channel == Channel.IMS else DeliveryStatus.PENDING,
    )
    deliveries_queue(communication)  # e-mail and webhook: the outbox rows, sent after commit
    return communication
