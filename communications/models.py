from django.conf import settings
from django.db import models

from core.models import ReferencedModel


class Recipients(models.TextChoices):
    END_USERS = "end_users"
    STAKEHOLDERS = "stakeholders"
    EXECUTIVES = "executives"
    IT_STAFF = "IT_staff"
    REPORTER = "reporter"
    TEAM = "team"


class Channel(models.TextChoices):
    IMS = "ims", "IMS record"
    EMAIL = "email"
    WEBHOOK = "webhook"
    MEETING = "meeting"


class Kind(models.TextChoices):
    UPDATE = "update"
    ACKNOWLEDGEMENT = "acknowledgement"
    ESCALATION_NOTICE = "escalation_notice"
    COMMENT = "comment"


class DeliveryStatus(models.TextChoices):
    RECORDED = "recorded"
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Communication(ReferencedModel):
    """A message recorded in IMS about a record (an incident, a problem, …).

    The subject is a reference string so that this app depends on no other entity app.
    An IMS-channel message is ``recorded``; an e-mail or webhook one is ``pending`` until its
    deliveries (the outbox, ``Delivery``) are all ``sent``, or ``failed`` once one has failed.
    """

    REFERENCE_PREFIX = "COM"

    subject_ref = models.CharField(max_length=20, db_index=True)
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.UPDATE)
    recipients = models.JSONField(default=list)
    recipient_detail = models.CharField(max_length=200, blank=True, help_text="A user or team addressed.")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.IMS)
    message = models.TextField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivery_status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.RECORDED
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject_ref", "created_at"], name="comm_subject_created")]

    def __str__(self) -> str:
        return f"{self.reference} → {', '.join(self.recipients)} ({self.subject_ref})"


class WebhookKind(models.TextChoices):
    GENERIC = "generic", "Generic JSON"
    SLACK = "slack", "Slack-compatible"


class WebhookEndpoint(models.Model):
    """An outbound webhook every ``webhook`` communication is posted to (configured in the admin).

    The body is signed with the endpoint's secret: ``X-IMS-Signature: sha256=<hex HMAC-SHA256>``.
    """

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    kind = models.CharField(max_length=12, choices=WebhookKind.choices, default=WebhookKind.GENERIC)
    secret = models.CharField(max_length=200, blank=True, help_text="Signs each body (HMAC-SHA256).")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One outbox row: a communication to one address (e-mail) or endpoint (webhook).

    Written in the communication's transaction; a drain claims due rows (``next_attempt_at``
    pushed a lease ahead, so a worker killed mid-send leaves the row due again once the lease
    ends), sends, and marks it ``sent`` or schedules the retry. ``dedup_key`` is unique: a
    communication is never queued twice to one address.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    communication = models.ForeignKey(Communication, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    address = models.CharField(max_length=500, help_text="An e-mail address, or the endpoint's name.")
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.PROTECT)
    dedup_key = models.CharField(max_length=300, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.communication_id} → {self.address} ({self.status})"
