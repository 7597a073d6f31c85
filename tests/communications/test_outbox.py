"""The outbox: rows written with the communication, drained, retried with backoff, leased."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from communications import outbox
from communications.models import Communication, Delivery
from communications.services import communication_record
from incidents import services

pytestmark = pytest.mark.django_db

DEAD_SMTP = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
             "EMAIL_PORT": 1, "EMAIL_TIMEOUT": 2}  # fmt: skip


def _email(make, people, recipients=("end_users",)):
    inc = make("in_progress")
    _, comm = services.incident_communicate(
        incident=inc.reference,
        actor=people.im,
        recipients=list(recipients),
        message="VPN is back.",
        channel="email",
    )
    return inc, comm


def test_an_email_communication_writes_its_row_and_enqueues_the_drain_on_commit(
    make, people, reporter_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        inc, comm = _email(make, people)
    assert outbox.enqueue_drain in callbacks
    row = Delivery.objects.get(communication=comm)
    assert (row.channel, row.address, row.status, row.attempts) == ("email", reporter_email, "pending", 0)
    assert row.dedup_key == f"{comm.reference}:email:{reporter_email}"
    assert comm.delivery_status == "pending"

    assert outbox.drain() == {"sent": 1, "pending": 0, "failed": 0}
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [reporter_email]
    assert sent.subject == f"[IMS] {inc.reference}: Update"
    assert sent.body == "VPN is back."
    assert sent.extra_headers["X-IMS-Delivery"] == row.dedup_key
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None
    comm.refresh_from_db()
    assert comm.delivery_status == "sent"


def test_the_ims_channel_queues_nothing(make, people, django_capture_on_commit_callbacks):
    inc = make("in_progress")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _, comm = services.incident_communicate(
            incident=inc.reference, actor=people.im, recipients=["end_users"], message="Noted."
        )
    assert callbacks == []
    assert not Delivery.objects.exists()
    assert comm.delivery_status == "recorded"


def test_one_row_per_address_even_when_two_groups_name_it(make, people, reporter_email):
    inc = make("in_progress")
    comm = communication_record(
        subject_ref=inc.reference,
        sender=people.im,
        recipients=["end_users", "reporter"],
        message="m",
        channel="email",
    )
    assert list(comm.deliveries.values_list("address", flat=True)) == [reporter_email]
    outbox.drain()
    outbox.drain()
    assert len(mail.outbox) == 1


def test_the_dedup_key_refuses_a_second_row(make, people, reporter_email):
    _, comm = _email(make, people)
    row = comm.deliveries.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            communication=comm, channel="email", address=row.address, dedup_key=row.dedup_key,
            next_attempt_at=timezone.now(),
        )  # fmt: skip
    assert comm.deliveries.count() == 1


def test_nobody_to_address_marks_the_communication_failed(make, people):
    _, comm = _email(make, people)  # the reporter has no e-mail address
    assert not comm.deliveries.exists()
    comm.refresh_from_db()
    assert comm.delivery_status == "failed"


def test_a_failed_send_is_retried_with_exponential_backoff_then_sent(make, people, reporter_email, settings):
    _, comm = _email(make, people)
    row = comm.deliveries.get()
    t0 = timezone.now()
    for name, value in DEAD_SMTP.items():
        setattr(settings, name, value)
    assert outbox.drain(now=t0) == {"sent": 0, "pending": 1, "failed": 0}
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == t0 + timedelta(seconds=30)
    assert "ConnectionRefusedError" in row.last_error

    assert outbox.drain(now=t0 + timedelta(seconds=29)) == {"sent": 0, "pending": 0, "failed": 0}
    t1 = t0 + timedelta(seconds=31)
    assert outbox.drain(now=t1) == {"sent": 0, "pending": 1, "failed": 0}
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == t1 + timedelta(seconds=60)  # doubled

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.drain(now=t1 + timedelta(seconds=61)) == {"sent": 1, "pending": 0, "failed": 0}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    assert len(mail.outbox) == 1
    comm.refresh_from_db()
    assert comm.delivery_status == "sent"


def test_the_last_attempt_failing_marks_the_row_and_communication_failed(
    make, people, reporter_email, settings
):
    _, comm = _email(make, people)
    for name, value in DEAD_SMTP.items():
        setattr(settings, name, value)
    settings.IMS_OUTBOX_MAX_ATTEMPTS = 2
    t0 = timezone.now()
    outbox.drain(now=t0)
    assert outbox.drain(now=t0 + timedelta(seconds=31)) == {"sent": 0, "pending": 0, "failed": 1}
    row = comm.deliveries.get()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "ConnectionRefusedError" in row.last_error
    comm.refresh_from_db()
    assert comm.delivery_status == "failed"
    assert outbox.drain(now=t0 + timedelta(days=1)) == {"sent": 0, "pending": 0, "failed": 0}


def test_a_killed_workers_claim_is_delivered_once_its_lease_ends(make, people, reporter_email):
    _, comm = _email(make, people)
    t0 = timezone.now()
    [claimed] = outbox.claim(now=t0)  # the worker dies here: nothing sent, nothing recorded
    assert claimed.attempts == 1
    assert outbox.drain(now=t0 + timedelta(seconds=119)) == {"sent": 0, "pending": 0, "failed": 0}
    assert mail.outbox == []
    assert outbox.drain(now=t0 + timedelta(seconds=121)) == {"sent": 1, "pending": 0, "failed": 0}
    row = comm.deliveries.get()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_a_stale_worker_cannot_overwrite_the_row_after_losing_its_lease(make, people, reporter_email):
    _, comm = _email(make, people)
    t0 = timezone.now()
    [stale] = outbox.claim(now=t0)
    t1 = t0 + timedelta(seconds=121)
    assert outbox.drain(now=t1)["sent"] == 1
    stale.communication.message = "late"
    outbox.deliver(stale, now=t1)  # the old worker wakes and finishes: the row stays as recorded
    row = comm.deliveries.get()
    assert (row.status, row.attempts) == ("sent", 2)


def test_delivery_writes_no_audit_event_and_changes_no_incident(make, people, reporter_email):
    inc, comm = _email(make, people)
    events = AuditEvent.objects.count()
    version = type(inc).objects.get(pk=inc.pk).version
    outbox.drain()
    assert AuditEvent.objects.count() == events
    assert type(inc).objects.get(pk=inc.pk).version == version


def test_a_communication_with_no_subject_resolver_reaches_configured_stakeholders(db, settings):
    settings.IMS_STAKEHOLDER_EMAILS = "board@example.com, Press@Example.com"
    comm = communication_record(
        subject_ref="PRB-000001",
        sender=None,
        recipients=["stakeholders", "end_users"],
        message="m",
        channel="email",
    )
    assert sorted(comm.deliveries.values_list("address", flat=True)) == [
        "board@example.com",
        "press@example.com",
    ]
    assert Communication.objects.get(pk=comm.pk).delivery_status == "pending"
