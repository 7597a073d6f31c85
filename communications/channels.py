"""Delivery channels, by name: ``send(delivery)`` returns when the message has been handed over
and raises (any exception, its text the reason) when it has not. Others may register more."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage

from communications.models import Channel, Delivery, WebhookKind

CHANNELS: dict[str, Callable[[Delivery], None]] = {}


def register_channel(name: str, send: Callable[[Delivery], None]) -> None:
    CHANNELS[name] = send


def send_email(delivery: Delivery) -> None:
    comm = delivery.communication
    message = EmailMessage(
        subject=f"[IMS] {comm.subject_ref}: {comm.get_kind_display()}",
        body=comm.message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers={"X-IMS-Delivery": delivery.dedup_key, "X-IMS-Communication": comm.reference},
    )
    if message.send(fail_silently=False) != 1:
        raise RuntimeError("the e-mail backend accepted no message")


def signature(secret: str, body: bytes) -> str:
    """The ``X-IMS-Signature`` header's value: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(delivery: Delivery) -> bytes:
    comm = delivery.communication
    if delivery.endpoint.kind == WebhookKind.SLACK:
        payload = {"text": f"*{comm.subject_ref}* ({comm.get_kind_display()}): {comm.message}"}
    else:
        payload = {
            "id": comm.reference,
            "subject": comm.subject_ref,
            "kind": comm.kind,
            "recipients": comm.recipients,
            "message": comm.message,
            "delivery": delivery.dedup_key,
            "created_at": comm.created_at.isoformat(),
        }
    return json.dumps(payload, sort_keys=True).encode()


def send_webhook(delivery: Delivery) -> None:
    endpoint = delivery.endpoint
    body = webhook_body(delivery)
    headers = {"Content-Type": "application/json", "X-IMS-Delivery": delivery.dedup_key}
    if endpoint.secret:
        headers["X-IMS-Signature"] = signature(endpoint.secret, body)
    request = urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.IMS_WEBHOOK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{endpoint.name} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeError(f"{endpoint.name} unreachable: {getattr(exc, 'reason', exc)}") from exc
    if not 200 <= status < 300:
        raise RuntimeError(f"{endpoint.name} answered HTTP {status}")


register_channel(Channel.EMAIL, send_email)
register_channel(Channel.WEBHOOK, send_webhook)
