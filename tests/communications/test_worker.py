"""The outbox with real components: Redis as the broker, an embedded worker, PostgreSQL locks."""

import threading
import time
from collections import Counter

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection

from communications import outbox
from communications.models import Communication, Delivery, WebhookEndpoint
from communications.tasks import deliveries_drain
from ims.celery import app
from incidents import services

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _email(make, people):
    inc = make("in_progress")
    _, comm = services.incident_communicate(
        incident=inc.reference, actor=people.im, recipients=["end_users"], message="Back up.", channel="email"
    )
    return comm


def _sent(comm):
    return Delivery.objects.filter(communication=comm, status="sent").exists()


@pytest.mark.celery_worker
def test_the_commit_enqueues_a_drain_a_worker_delivers(make, people, reporter_email):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        comm = _email(make, people)  # committed: on_commit publishes to Redis
        assert _wait_for(lambda: _sent(comm)), (
            f"no worker delivered {comm.reference} (broker {app.conf.broker_url})"
        )
    assert [m.to for m in mail.outbox] == [[reporter_email]]
    assert Communication.objects.get(pk=comm.pk).delivery_status == "sent"


@pytest.mark.celery_worker
def test_a_broker_down_at_commit_loses_nothing_the_beat_drain_delivers(make, people, reporter_email):
    assert app.conf.beat_schedule["outbox-drain"]["task"] == deliveries_drain.name
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = None
    try:
        comm = _email(make, people)  # the enqueue fails after commit; the operation does not
    finally:
        app.conf.broker_write_url = None
        app._pool = None
    assert Delivery.objects.get(communication=comm).status == "pending"
    assert mail.outbox == []
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        deliveries_drain.delay()  # what beat publishes every IMS_OUTBOX_DRAIN_SECONDS
        assert _wait_for(lambda: _sent(comm))
    assert len(mail.outbox) == 1


def test_two_drains_at_once_send_each_row_once(make, people, receiver, monkeypatch):
    WebhookEndpoint.objects.create(name="ops", url=receiver.url, secret="k")
    WebhookEndpoint.objects.create(name="chat", url=receiver.url, kind="slack")
    inc = make("in_progress")
    for n in range(10):
        services.incident_communicate(
            incident=inc.reference,
            actor=people.im,
            recipients=["IT_staff"],
            message=f"update {n}",
            channel="webhook",
        )
    assert Delivery.objects.filter(status="pending").count() == 20
    monkeypatch.setattr(outbox, "BATCH", 3)
    receiver.delay = 0.02
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(outbox.drain())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r["sent"] for r in results) == 20
    keys = Counter(r.headers["X-IMS-Delivery"] for r in receiver.requests)
    assert len(keys) == 20 and set(keys.values()) == {1}
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert set(Communication.objects.filter(channel="webhook").values_list("delivery_status", flat=True)) == {
        "sent"
    }


@pytest.mark.celery_worker
def test_failures_a_dead_worker_and_a_dead_broker_then_each_delivered_exactly_once(
    make, people, reporter_email, receiver, settings
):
    settings.IMS_OUTBOX_BACKOFF_SECONDS, settings.IMS_OUTBOX_LEASE_SECONDS = 0.5, 2.0
    WebhookEndpoint.objects.create(name="ops", url=receiver.url, secret="k")
    receiver.statuses = [503]
    inc = make("in_progress")
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # the broker is down at commit
    app._pool = None
    try:
        _, mail_comm = services.incident_communicate(
            incident=inc.reference, actor=people.im, recipients=["end_users"], message="m", channel="email"
        )
        _, hook_comm = services.incident_communicate(
            incident=inc.reference, actor=people.im, recipients=["IT_staff"], message="m", channel="webhook"
        )
    finally:
        app.conf.broker_write_url = None
        app._pool = None
    assert Delivery.objects.filter(status="pending", attempts=0).count() == 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # nothing listens on port 1
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    assert outbox.drain() == {"sent": 0, "pending": 2, "failed": 0}  # both fail, retried after backoff
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time.sleep(0.6)
    assert len(outbox.claim()) == 2  # a worker claims both and is killed before sending

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        deliveries_drain.delay()  # a beat tick within the lease: nothing is due
        time.sleep(1.0)
        assert not Delivery.objects.filter(status="sent").exists()
        time.sleep(1.2)
        deliveries_drain.delay()  # the next tick, after the lease
        assert _wait_for(lambda: Delivery.objects.filter(status="sent").count() == 2)
        deliveries_drain.delay()  # and one more: nothing left to send
        time.sleep(0.5)
    assert [m.to for m in mail.outbox] == [[reporter_email]]
    assert len(receiver.requests) == 2  # the 503, then the one delivery
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 3)}
    for comm in (mail_comm, hook_comm):
        assert Communication.objects.get(pk=comm.pk).delivery_status == "sent"
