"""The channels: webhooks to a local receiver (signed, generic or Slack-shaped, timed out),
e-mail through Django's backends (the file backend as in development)."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from communications import outbox
from communications.channels import CHANNELS, register_channel, signature
from communications.models import Delivery, WebhookEndpoint
from incidents import services

pytestmark = pytest.mark.django_db


def _webhook(make, people, message="Database failover done."):
    inc = make("in_progress")
    _, comm = services.incident_communicate(
        incident=inc.reference, actor=people.im, recipients=["IT_staff"], message=message, channel="webhook"
    )
    return inc, comm


def test_one_row_per_active_endpoint(make, people, receiver):
    WebhookEndpoint.objects.create(name="ops", url=receiver.url)
    WebhookEndpoint.objects.create(name="chat", url=receiver.url, kind="slack")
    WebhookEndpoint.objects.create(name="old", url=receiver.url, is_active=False)
    _, comm = _webhook(make, people)
    assert list(comm.deliveries.values_list("address", "endpoint__name")) == [
        ("chat", "chat"),
        ("ops", "ops"),
    ]


def test_a_generic_webhook_is_posted_signed_and_the_signature_verifies(make, people, receiver):
    WebhookEndpoint.objects.create(name="ops", url=receiver.url, secret="s3cret")
    inc, comm = _webhook(make, people)
    assert outbox.drain()["sent"] == 1
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["id"] == comm.reference and body["subject"] == inc.reference
    assert body["message"] == "Database failover done." and body["recipients"] == ["IT_staff"]
    assert body["delivery"] == f"{comm.reference}:webhook:ops"
    expected = "sha256=" + hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-IMS-Signature"] == expected
    assert hmac.compare_digest(signature("s3cret", request.body), request.headers["X-IMS-Signature"])
    assert request.headers["X-IMS-Delivery"] == body["delivery"]
    assert request.headers["Content-Type"] == "application/json"
    assert Delivery.objects.get().status == "sent"


def test_a_slack_webhook_gets_a_text_body_and_no_signature_without_a_secret(make, people, receiver):
    WebhookEndpoint.objects.create(name="chat", url=receiver.url, kind="slack")
    inc, _ = _webhook(make, people, message="All clear.")
    outbox.drain()
    [request] = receiver.requests
    assert json.loads(request.body) == {"text": f"*{inc.reference}* (Update): All clear."}
    assert "X-IMS-Signature" not in request.headers


def test_an_http_error_is_retried_then_sent(make, people, receiver):
    WebhookEndpoint.objects.create(name="ops", url=receiver.url)
    receiver.statuses = [503]
    _, comm = _webhook(make, people)
    t0 = timezone.now()
    assert outbox.drain(now=t0) == {"sent": 0, "pending": 1, "failed": 0}
    row = comm.deliveries.get()
    assert row.last_error == "RuntimeError: ops answered HTTP 503"
    assert outbox.drain(now=t0 + timedelta(seconds=31))["sent"] == 1
    assert len(receiver.requests) == 2
    comm.refresh_from_db()
    assert comm.delivery_status == "sent"


def test_a_receiver_slower_than_the_timeout_is_a_failure(make, people, receiver, settings):
    settings.IMS_WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.0
    WebhookEndpoint.objects.create(name="ops", url=receiver.url)
    _, comm = _webhook(make, people)
    assert outbox.drain()["pending"] == 1
    row = comm.deliveries.get()
    assert "timed out" in row.last_error


def test_an_unreachable_endpoint_is_a_failure_with_its_reason(make, people):
    WebhookEndpoint.objects.create(name="ops", url="http://127.0.0.1:1/hook")
    _, comm = _webhook(make, people)
    outbox.drain()
    assert comm.deliveries.get().last_error.startswith("RuntimeError: ops unreachable:")


def test_the_file_backend_writes_the_message(make, people, reporter_email, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    inc = make("in_progress")
    services.incident_communicate(
        incident=inc.reference, actor=people.im, recipients=["end_users"], message="Fixed.", channel="email"
    )
    assert outbox.drain()["sent"] == 1
    [written] = list(tmp_path.iterdir())
    text = written.read_text()
    assert f"Subject: [IMS] {inc.reference}: Update" in text and "To: reporter@example.com" in text


def test_a_registered_channel_is_used_by_name(make, people, reporter_email):
    seen = []
    original = CHANNELS["email"]
    register_channel("email", lambda delivery: seen.append(delivery.address))
    try:
        inc = make("in_progress")
        services.incident_communicate(
            incident=inc.reference, actor=people.im, recipients=["end_users"], message="m", channel="email"
        )
        outbox.drain()
    finally:
        register_channel("email", original)
    assert seen == [reporter_email]
